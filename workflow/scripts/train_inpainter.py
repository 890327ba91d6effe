"""Rule train_inpainter: the partial-convolution inpainter of one fold, on healthy training vertebrae."""

import torch

from spinexai.counterfactual.train import CounterfactualFold
from spinexai.io.cards import input_geometry
from spinexai.io.tables import CF_INPAINTER_HISTORY, write_table
from spinexai.train.saving import save_model
from spinexai.train.state import state_dir_for
from spinexai.workflow import run


def main(io):
    torch.set_num_threads(io.threads)
    fold = CounterfactualFold.from_files(io.input.patches, io.input.folds, int(io.wildcards.fold),
                                         io.params.counterfactual, io.params.classifier, io.input.classifier)
    state = state_dir_for(io.params.state_root, {"cf": io.params.counterfactual, "proto": io.params.classifier},
                          fold.rows, fold.folds)
    model, history = fold.fit_inpainter(state)
    write_table(history.assign(fold=fold.fold), io.output.history, CF_INPAINTER_HISTORY)
    save_model(model.state_dict(), io.output.model, "counterfactual/inpainter", io.params.counterfactual,
               input_geometry(fold.rows, ("sag_ct",)), fold=fold.fold, classifier=io.params.classifier)


run(main, globals())
