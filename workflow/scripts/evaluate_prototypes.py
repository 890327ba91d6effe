"""Rule evaluate_prototypes: predictions, metrics and explanations of one fold and arm."""

import numpy as np
import torch

from spinexai.data.images2d import graded_rows
from spinexai.io.atomic import write_npz
from spinexai.io.tables import (
    FOLDS,
    PATCHES,
    PROTO_CONTRIBUTIONS,
    PROTO_COSINE,
    PROTO_LOCALISATION,
    PROTO_METRICS,
    PROTO_PREDICTIONS,
    PROTO_PROJECTION,
    PROTO_TOP,
    read_table,
    write_table,
)
from spinexai.prototypes.evaluate import evaluate_prototype_fold
from spinexai.prototypes.figures import projection_gallery
from spinexai.prototypes.params import ProtoParams
from spinexai.workflow import run


def main(io):
    torch.set_num_threads(io.threads)
    params = ProtoParams.from_dict(io.params.prototypes)
    rows = graded_rows(read_table(io.input.patches, PATCHES), params.grades)
    result = evaluate_prototype_fold(rows, read_table(io.input.folds, FOLDS), int(io.wildcards.fold), io.wildcards.arm,
                                     params, io.input.model)
    for name, schema in (("predictions", PROTO_PREDICTIONS), ("metrics", PROTO_METRICS), ("projection", PROTO_PROJECTION),
                         ("top", PROTO_TOP), ("contributions", PROTO_CONTRIBUTIONS), ("cosine", PROTO_COSINE),
                         ("localisation", PROTO_LOCALISATION)):
        write_table(getattr(result, name), getattr(io.output, name), schema)
    write_npz(io.output.maps, result.maps)
    projection_gallery(result.projection, result.maps.get("projection_images", np.zeros((0,))), io.output.gallery)


run(main, globals())
