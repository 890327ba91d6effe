"""Rule evaluate_keypoints: predictions and grade metrics of one fold and arm (mean and sampled keypoints)."""

import torch

from spinexai.io.tables import (
    FOLDS,
    KEYPOINT_METRICS,
    KEYPOINT_PREDICTIONS,
    MORPHOMETRY,
    PATCHES,
    read_table,
    write_table,
)
from spinexai.morphometry.keypoint_data import keypoint_rows
from spinexai.morphometry.keypoints import evaluate_keypoint_fold
from spinexai.morphometry.params import KeypointParams
from spinexai.workflow import run


def main(io):
    torch.set_num_threads(io.threads)
    params = KeypointParams.from_dict(io.params.keypoints)
    rows = keypoint_rows(read_table(io.input.heights, MORPHOMETRY), read_table(io.input.patches, PATCHES))
    predictions, metrics = evaluate_keypoint_fold(rows, read_table(io.input.folds, FOLDS), int(io.wildcards.fold),
                                                  io.wildcards.arm, params, io.input.model)
    write_table(predictions, io.output.predictions, KEYPOINT_PREDICTIONS)
    write_table(metrics, io.output.metrics, KEYPOINT_METRICS)


run(main, globals())
