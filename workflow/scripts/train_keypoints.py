"""Rule train_keypoints: the XVFA keypoint model of one fold and ablation arm (resumes after a kill)."""

import torch

from spinexai.io.cards import input_geometry
from spinexai.io.tables import FOLDS, KEYPOINT_HISTORY, MORPHOMETRY, PATCHES, read_table, write_table
from spinexai.morphometry.keypoint_data import keypoint_rows
from spinexai.morphometry.keypoints import train_keypoint_fold
from spinexai.morphometry.params import KeypointParams
from spinexai.train.saving import save_model
from spinexai.train.state import state_dir_for
from spinexai.workflow import run


def main(io):
    torch.set_num_threads(io.threads)
    params = KeypointParams.from_dict(io.params.keypoints)
    rows = keypoint_rows(read_table(io.input.heights, MORPHOMETRY), read_table(io.input.patches, PATCHES))
    folds = read_table(io.input.folds, FOLDS)
    state = state_dir_for(io.params.state_root, params, rows, folds)
    best, history = train_keypoint_fold(rows, folds, int(io.wildcards.fold), io.wildcards.arm, params, state)
    write_table(history, io.output.history, KEYPOINT_HISTORY)
    save_model(best, io.output.model, "keypoints", params, input_geometry(rows, ("sag_ct",)),
               fold=int(io.wildcards.fold), arm=io.wildcards.arm)


run(main, globals())
