"""Rule train_attribution: the one-pass attribution network of one fold (deletion game against the
fold's frozen 2D classifier and inpainter)."""

import torch

from spinexai.counterfactual.train import CounterfactualFold
from spinexai.io.cards import input_geometry
from spinexai.io.tables import CF_ATTRIBUTION_HISTORY, write_table
from spinexai.train.saving import save_model
from spinexai.train.state import state_dir_for
from spinexai.workflow import run


def main(io):
    torch.set_num_threads(io.threads)
    fold = CounterfactualFold.from_files(io.input.patches, io.input.folds, int(io.wildcards.fold),
                                         io.params.counterfactual, io.params.classifier, io.input.classifier)
    state = state_dir_for(io.params.state_root, {"cf": io.params.counterfactual, "proto": io.params.classifier},
                          fold.rows, fold.folds)
    model, history = fold.fit_attribution(io.input.inpainter, state)
    write_table(history.assign(fold=fold.fold), io.output.history, CF_ATTRIBUTION_HISTORY)
    save_model(model.state_dict(), io.output.model, "counterfactual/attribution", io.params.counterfactual,
               input_geometry(fold.rows, ("sag_ct",)), fold=fold.fold, classifier=io.params.classifier)


run(main, globals())
