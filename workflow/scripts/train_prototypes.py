"""Rule train_prototypes: one fold of one prototype arm (ProtoVerse, ProtoPNet, ablation) or the baseline."""

import torch

from spinexai.data.images2d import graded_rows
from spinexai.io.cards import input_geometry
from spinexai.io.tables import FOLDS, PATCHES, PROTO_HISTORY, read_table, write_table
from spinexai.prototypes.params import ProtoParams
from spinexai.prototypes.train import train_prototype_fold
from spinexai.train.saving import save_model
from spinexai.train.state import state_dir_for
from spinexai.workflow import run


def main(io):
    torch.set_num_threads(io.threads)
    params = ProtoParams.from_dict(io.params.prototypes)
    rows = graded_rows(read_table(io.input.patches, PATCHES), params.grades)
    folds = read_table(io.input.folds, FOLDS)
    state = state_dir_for(io.params.state_root, params, rows, folds)
    init = getattr(io.input, "init", None) or None  # prototypes.init_from: the same fold's baseline model
    best, history = train_prototype_fold(rows, folds, int(io.wildcards.fold), params, state, init)
    write_table(history, io.output.history, PROTO_HISTORY)
    save_model(best, io.output.model, f"prototypes/{params.model}", params, input_geometry(rows, ("sag_ct",)),
               fold=int(io.wildcards.fold), arm=io.wildcards.arm)


run(main, globals())
