"""Rule evaluate_classifier_3d: predictions and metrics of one fold on its validation and test subjects."""

import torch

from spinexai.fracture3d.classifier import ClassifierParams, evaluate_fold
from spinexai.io.tables import CLASSIFIER_METRICS, CLASSIFIER_PREDICTIONS, FOLDS, PATCHES, read_table, write_table
from spinexai.workflow import run


def main(io):
    torch.set_num_threads(io.threads)
    params = ClassifierParams.from_dict(io.params.classifier)
    patches, folds = read_table(io.input.patches, PATCHES), read_table(io.input.folds, FOLDS)
    predictions, metrics = evaluate_fold(patches, folds, int(io.wildcards.fold), params, io.input.model)
    write_table(predictions, io.output.predictions, CLASSIFIER_PREDICTIONS)
    write_table(metrics, io.output.metrics, CLASSIFIER_METRICS)


run(main, globals())
