"""Morphometry: mask heights, keypoints, the Genant reading (results/morphometry)."""

from __future__ import annotations

from spinexai.io.schema import TableSchema, col

MORPHOMETRY = TableSchema(
    "morphometry", "results/morphometry/heights.parquet",
    "Six-point morphometry measured on the vertebral-body mask in each vertebra's mid-sagittal reformation "
    "(10%, 50%, 90% of the body depth from the front), with the Genant reading against expected heights: the largest "
    "own height, or, when that lies 15% or more below the nearest unfractured neighbours' largest (same subject, "
    "within 3 levels, unfractured by their own-height reading: a uniform crush), those neighbours' heights scaled by "
    "level (spinexai.genant.expected_heights).",
    (
        col("subject", "string", "subject ID"), col("label", "int64", "VerSe label"), col("level", "string", "level name"),
        col("grade", "int64", "Genant grade of the grade table (-1 unknown)"),
        col("morphology", "string", "morphology of the grade table where known"),
        col("status", "string", "'measured', or why not"),
        col("ha", "float64", "anterior height", "mm"), col("hm", "float64", "middle height", "mm"),
        col("hp", "float64", "posterior height", "mm"),
        col("apr", "float64", "ha / hp"), col("mpr", "float64", "hm / hp"), col("mar", "float64", "hm / ha"),
        *(col(f"expected_h{p}", "float64", f"expected {name} height of the Genant reading", "mm")
          for p, name in zip("amp", ("anterior", "middle", "posterior"), strict=True)),
        col("expected_source", "string", "'own' (largest own height) or 'neighbours' (nearest unfractured neighbours' "
                                        "heights scaled by level); empty when unmeasured"),
        col("genant_grade", "float64", "Genant grade from the largest loss against the expected heights (NaN unmeasured)"),
        col("genant_morphology", "string", "wedge / biconcave / crush / normal from the same reading"),
        col("genant_loss", "float64", "the largest relative height loss, 1 - h / expected"),
        *(col(f"{e}_{p}_{a}", "float64", f"{'superior' if e == 'sup' else 'inferior'} endplate point, "
                                        f"{dict(a='anterior', m='middle', p='posterior')[p]}, world {a} (RAS)", "mm")
          for e in ("sup", "inf") for p in "amp" for a in "xyz"),
        col("true_ha", "float64", "generator's anterior height (synthetic; NaN otherwise)", "mm"),
        col("true_hm", "float64", "generator's middle height", "mm"), col("true_hp", "float64", "generator's posterior height", "mm"),
        col("point_error_mm", "float64", "mean distance of the six points to the generator's points", "mm"),
    ),
)

KEYPOINT_HISTORY = TableSchema(
    "keypoint_history", "results/morphometry/keypoints/<arm>/fold<k>/history.parquet",
    "One row per training epoch of the keypoint model of a fold and ablation arm.",
    (col("epoch", "int64", "epoch index from 0"), col("train_loss", "float64", "mean training loss (XVFA eq. 8)"),
     col("val_loss", "float64", "validation loss (early stopping, lower is better)"),
     col("val_point_error_mm", "float64", "mean distance of the predicted points to the targets", "mm"),
     col("best", "bool", "the epoch improved the validation loss (its weights are kept)")),
)

KEYPOINT_PREDICTIONS = TableSchema(
    "keypoint_predictions", "results/morphometry/keypoints/<arm>/fold<k>/predictions.parquet",
    "One row per scored vertebra, fold model and arm: grade probabilities, the GSQ reading and keypoint errors "
    "(results/morphometry/keypoints/predictions.parquet stacks every fold and arm).",
    (col("subject", "string", "subject ID"), col("label", "int64", "VerSe label"), col("level", "string", "level name"),
     col("grade", "int64", "Genant grade of the grade table (-1 unknown)"), col("morphology", "string", "its morphology"),
     col("fold", "int64", "fold model"), col("arm", "string", "ablation arm (config keypoints.arms)"),
     col("split", "string", "'val' or 'test' ('predict' in a predict run: results/predict/morphometry/keypoints/)"),
     col("p_fracture", "float64", "probability of grade >= 1 (the arm's combination of keypoint and image branches)"),
     col("p_moderate", "float64", "probability of grade >= 2"),
     col("predicted_grade", "int64", "most probable grade"), col("predicted_morphology", "string", "most probable morphology"),
     col("point_error_mm", "float64", "mean distance of the six predicted points to the mask-derived points", "mm"),
     col("true_point_error_mm", "float64", "mean distance of the six predicted points to the generator's points "
                                          "(synthetic cohort; NaN without ground truth)", "mm"),
     col("interval_mm", "float64", "mean half-width of the keypoints' quantile intervals at keypoints.interval", "mm"),
     col("ha", "float64", "anterior height from the predicted points", "mm"),
     col("hm", "float64", "middle height from the predicted points", "mm"),
     col("hp", "float64", "posterior height from the predicted points", "mm"),
     *(col(f"expected_h{p}", "float64", f"expected {name} height of the fuzzy Genant reading, from the predicted heights "
                                       "(own largest, or the nearest unfractured neighbours' scaled by level)", "mm")
       for p, name in zip("amp", ("anterior", "middle", "posterior"), strict=True)),
     col("expected_source", "string", "'own' or 'neighbours' (spinexai.genant.expected_heights on the predicted heights)"))
    + tuple(col(f"interval_{e}_{q}_mm", "float64", f"half-width of the {'superior' if e == 'sup' else 'inferior'} "
                                                 f"{dict(a='anterior', m='middle', p='posterior')[q]} point's quantile "
                                                 "interval (larger of its two coordinates)", "mm")
            for e in ("sup", "inf") for q in "amp"),
)

_SAMPLED = tuple(col(f"sampled_{m}_{s}", "float64", f"{'mean' if s == 'mean' else 'SD'} of {m} over keypoint draws from the flow")
                 for m in ("auc", "f1", "sensitivity", "specificity") for s in ("mean", "std"))

KEYPOINT_METRICS = TableSchema(
    "keypoint_metrics", "results/morphometry/keypoints/<arm>/fold<k>/metrics.parquet",
    "Vertebra-level metrics of one fold and arm per task (fracture: G0 vs G1-3; moderate: G0-1 vs G2-3) at the "
    "Youden point, from the mean keypoints and over sampled keypoints "
    "(results/morphometry/keypoints/metrics_by_fold.parquet stacks them).",
    (col("fold", "int64", "fold model"), col("arm", "string", "ablation arm"), col("split", "string", "'val' or 'test'"),
     col("task", "string", "'fracture' or 'moderate'"), col("auc", "float64", "area under the ROC curve"),
     col("threshold", "float64", "Youden-optimal threshold"), col("f1", "float64", "F1 at that threshold"),
     col("sensitivity", "float64", "at that threshold"), col("specificity", "float64", "at that threshold"),
     col("n", "int64", "graded vertebrae"), col("n_positive", "int64", "positives among them"),
     col("point_error_mm", "float64", "mean keypoint error on the split", "mm")) + _SAMPLED,
)

KEYPOINT_TABLE = TableSchema(
    "keypoint_table", "results/morphometry/keypoints/table.parquet",
    "The XVFA table analogue: per arm, task and split, each metric's mean and SD over folds.",
    (col("arm", "string", "ablation arm"), col("split", "string", "'val' or 'test'"), col("task", "string", "fracture or moderate"),
     col("metric", "string", "auc, f1, sensitivity, specificity, point_error_mm, sampled_auc_mean, ..."),
     col("mean", "float64", "mean over folds"), col("std", "float64", "sample SD over folds"),
     col("n_folds", "int64", "folds where the metric is defined")),
)

MORPHOLOGY_CONFUSION = TableSchema(
    "morphology_confusion", "results/morphometry/keypoints/morphology_confusion.parquet",
    "Morphology confusion on the test split, pooled over fold models, per arm (long format).",
    (col("arm", "string", "ablation arm"), col("true", "string", "morphology of the grade table"),
     col("predicted", "string", "predicted morphology"), col("count", "int64", "vertebra x fold-model pairs")),
)
