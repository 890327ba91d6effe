"""The 3D fracture classifier (results/classifier3d)."""

from __future__ import annotations

from spinexai.io.schema import Column, TableSchema, col

_METRIC_COLUMNS = (
    col("f1", "float64", "F1 of the fracture class at the decision threshold"),
    col("accuracy", "float64", "accuracy at the decision threshold"),
    col("sensitivity", "float64", "true-positive rate at the threshold (NaN without positives)"),
    col("specificity", "float64", "true-negative rate at the threshold (NaN without negatives)"),
    col("auc", "float64", "area under the ROC curve (NaN with one class)"),
    col("ap", "float64", "average precision (NaN with one class)"),
    col("n", "int64", "vertebrae scored"),
    col("n_positive", "int64", "fractured vertebrae among them"),
)

CLASSIFIER_HISTORY = TableSchema(
    "classifier3d_history", "results/classifier3d/fold<k>/history.parquet",
    "One row per training epoch of a fold.",
    (col("epoch", "int64", "epoch index from 0"), col("train_loss", "float64", "mean training loss of the epoch"))
    + tuple(Column(f"val_{c.name}", c.dtype, f"validation {c.description}", c.unit) for c in _METRIC_COLUMNS)
    + (col("best", "bool", "the epoch improved the monitored validation metric (its weights are kept)"),),
)

CLASSIFIER_PREDICTIONS = TableSchema(
    "classifier3d_predictions", "results/classifier3d/fold<k>/predictions.parquet",
    "One row per scored vertebra and fold model: the fold's validation subjects and the held-out test set. "
    "results/classifier3d/predictions.parquet stacks every fold.",
    (col("subject", "string", "subject ID"), col("label", "int64", "VerSe label"), col("level", "string", "level name"),
     col("grade", "int64", "Genant grade (-1 unknown)"), col("fracture", "bool", "ground truth"),
     col("fold", "int64", "the fold whose model scored it"),
     col("split", "string", "'val' or 'test' ('predict' in a predict run: results/predict/classifier3d/)"),
     col("probability", "float64", "predicted fracture probability"),
     col("prediction", "bool", "probability >= classifier3d.threshold")),
)

CLASSIFIER_METRICS = TableSchema(
    "classifier3d_metrics", "results/classifier3d/fold<k>/metrics.parquet",
    "Metrics of one fold model on its validation subjects and on the test set "
    "(results/classifier3d/metrics_by_fold.parquet stacks every fold).",
    (col("fold", "int64", "fold"), col("split", "string", "'val' or 'test'")) + _METRIC_COLUMNS,
)

CLASSIFIER_SUMMARY = TableSchema(
    "classifier3d_table1", "results/classifier3d/table1.parquet",
    "The Table 1 analogue of Engstler et al.: each metric's mean and SD over the fold models.",
    (col("split", "string", "'val' or 'test'"), col("metric", "string", "f1, accuracy, auc, ap, sensitivity, specificity"),
     col("mean", "float64", "mean over folds"), col("std", "float64", "sample SD over folds"),
     col("n_folds", "int64", "folds where the metric is defined")),
)
