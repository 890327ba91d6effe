"""Rule train_inpainter: the partial-convolution inpainter of one fold, on healthy training vertebrae."""

import torch

from spinexai.counterfactual.params import CounterfactualParams
from spinexai.counterfactual.train import CounterfactualFold
from spinexai.io.atomic import atomic_path
from spinexai.io.tables import CF_INPAINTER_HISTORY, FOLDS, PATCHES, read_table, write_table
from spinexai.prototypes.data import graded_rows
from spinexai.prototypes.params import ProtoParams
from spinexai.train.state import state_dir_for
from spinexai.workflow import run


def main(io):
    torch.set_num_threads(io.threads)
    cf, proto = CounterfactualParams.from_dict(io.params.counterfactual), ProtoParams.from_dict(io.params.classifier)
    rows = graded_rows(read_table(io.input.patches, PATCHES), proto.grades)
    folds = read_table(io.input.folds, FOLDS)
    fold = CounterfactualFold(rows, folds, int(io.wildcards.fold), cf, proto, io.input.classifier)
    state = state_dir_for(io.params.state_root, {"cf": io.params.counterfactual, "proto": io.params.classifier}, rows, folds)
    model, history = fold.fit_inpainter(state)
    write_table(history.assign(fold=fold.fold), io.output.history, CF_INPAINTER_HISTORY)
    with atomic_path(io.output.model) as tmp:
        torch.save(model.state_dict(), tmp)


run(main, globals())
