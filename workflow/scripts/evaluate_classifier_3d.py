"""Rule evaluate_classifier_3d: predictions and metrics of one fold on its validation and test subjects."""

import torch

from spinexai.fracture3d import ClassifierParams, evaluate_fold
from spinexai.io.atomic import write_atomic
from spinexai.io.tables import FOLDS, PATCHES, read_table
from spinexai.workflow import run


def main(io):
    torch.set_num_threads(io.threads)
    params = ClassifierParams.from_dict(io.params.classifier)
    patches, folds = read_table(io.input.patches, PATCHES), read_table(io.input.folds, FOLDS)
    predictions, metrics = evaluate_fold(patches, folds, int(io.wildcards.fold), params, io.input.model)
    write_atomic(io.output.predictions, lambda tmp: predictions.to_parquet(tmp, index=False))
    write_atomic(io.output.metrics, lambda tmp: metrics.to_parquet(tmp, index=False))


run(main, globals())
