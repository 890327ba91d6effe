"""Rule predict_fold: every model of one trained fold on the new data (tables in the training run's shapes)."""

import numpy as np
import torch

from spinexai.io.atomic import write_npz
from spinexai.io.tables import (
    CLASSIFIER_PREDICTIONS,
    KEYPOINT_PREDICTIONS,
    MORPHOMETRY,
    PATCHES,
    PROTO_PREDICTIONS,
    PROTO_PROJECTION,
    PROTO_TOP,
    empty_frame,
    read_table,
    write_table,
)
from spinexai.predict.score import score_fold
from spinexai.predict.trained import TrainedRun
from spinexai.workflow import run


def main(io):
    torch.set_num_threads(io.threads)
    settings = io.params.predict
    trained = TrainedRun(io.params.models, io.params.arm, settings.get("keypoint_arm", ""))
    models = trained.fold(int(io.wildcards.fold))
    patches = read_table(io.input.patches, PATCHES)
    heights = read_table(io.input.heights, MORPHOMETRY)
    scores = score_fold(patches, heights, models, io.input.patches, settings.get("device", "auto"))
    for name, schema in (("classifier3d", CLASSIFIER_PREDICTIONS), ("grades", PROTO_PREDICTIONS), ("top3", PROTO_TOP),
                         ("keypoints", KEYPOINT_PREDICTIONS)):
        write_table(getattr(scores, "top" if name == "top3" else name), getattr(io.output, name), schema)
    similarity = dict(scores.similarity)
    if models.prototypes is not None:  # the prototypes' source images, for the case pages
        write_table(read_table(io.input.projection, PROTO_PROJECTION), io.output.projection, PROTO_PROJECTION)
        similarity["projection_images"] = np.load(io.input.trained_similarity)["projection_images"]
    else:
        write_table(empty_frame(PROTO_PROJECTION), io.output.projection, PROTO_PROJECTION)
    write_npz(io.output.similarity, similarity)
    write_npz(io.output.counterfactual, scores.counterfactual)


run(main, globals())
