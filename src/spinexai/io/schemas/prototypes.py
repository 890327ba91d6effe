"""ProtoVerse and its baselines (results/prototypes)."""

from __future__ import annotations

from spinexai.io.schema import TableSchema, col

_ARM = (col("fold", "int64", "cross-validation fold whose model produced the row"),
        col("arm", "string", "config prototypes.arms entry (protoverse, protopnet, baseline, ablations)"))
_ARM_SETTINGS = (
    col("model", "string", "'protoverse' (prototype layer) or 'baseline' (backbone + linear head)"),
    col("per_class", "int64", "prototypes per class (0 for the baseline)"),
    col("diversity", "float64", "diversity-loss weight (0: ProtoPNet)"),
    col("class_weighting", "string", "cross-entropy class weighting: none, inverse, inverse_sqrt, median, median_printed"),
    col("window", "int64", "prototypes.window: central latent cells the prototypes match in (0: every cell, the paper; "
                           "0 for the baseline)"),
)
_PROTO_METRICS = (
    col("class_accuracy", "float64", "class-average accuracy (mean per-class recall)"),
    col("class_f1", "float64", "class-average F1 (macro over the grades present)"),
    col("sample_accuracy", "float64", "fraction of vertebrae graded correctly"),
)
_CASE = (col("subject", "string", "subject ID"), col("label", "int64", "VerSe label"),
         col("split", "string", "'val' (the fold's own subjects) or 'test' (held-out); 'predict' in a predict run "
                               "(results/predict/prototypes/)"))

PROTO_HISTORY = TableSchema(
    "prototype_history", "results/prototypes/<arm>/fold<k>/history.parquet",
    "One row per epoch of every training stage (warm, joint<c>, last<c>; 'baseline' for the baseline).",
    (col("stage", "string", "schedule stage"), col("epoch", "int64", "epoch within the stage"),
     col("train_loss", "float64", "mean training loss of the epoch"),
     col("val_class_f1", "float64", "validation class-average F1"),
     col("val_class_accuracy", "float64", "validation class-average accuracy"),
     col("val_sample_accuracy", "float64", "validation sample accuracy"),
     col("val_loss", "float64", "validation class-weighted cross-entropy"),
     col("best", "bool", "best validation class-average F1 of the stage so far")),
)

PROTO_PREDICTIONS = TableSchema(
    "prototype_predictions", "results/prototypes/<arm>/fold<k>/predictions.parquet",
    "Grade probabilities of every validation and test vertebra of the graded classes.",
    _CASE[:2] + (col("level", "string", "level name"), col("grade", "int64", "true Genant grade"),
                 col("target", "int64", "class index of the true grade in prototypes.grades"))
    + tuple(col(f"p_grade{g}", "float64", f"probability of Genant grade {g} (NaN when G{g} is not a class)") for g in range(4))
    + (col("predicted_grade", "int64", "grade with the highest probability"),) + _ARM + (_CASE[2],),
)

PROTO_METRICS = TableSchema(
    "prototype_metrics", "results/prototypes/<arm>/fold<k>/metrics.parquet",
    "Grading metrics of one fold and arm on its validation subjects and on the held-out test set.",
    _ARM + (_CASE[2],) + _ARM_SETTINGS + _PROTO_METRICS + (col("n", "int64", "vertebrae scored"),),
)

PROTO_PROJECTION = TableSchema(
    "prototype_projection", "results/prototypes/<arm>/fold<k>/projection.parquet",
    "Each prototype's nearest latent patch among the training images of its own class (what it was "
    "projected onto), and the box enclosing the top 2% of its upsampled similarity map.",
    (col("prototype", "int64", "prototype index"), col("prototype_grade", "int64", "Genant grade the prototype belongs to"),
     col("subject", "string", "source subject"), col("label", "int64", "source vertebra label"),
     col("level", "string", "source level"), col("latent_row", "int64", "row of the latent patch"),
     col("latent_col", "int64", "column of the latent patch"),
     col("distance", "float64", "squared L2 distance prototype-patch (0 after projection)"),
     col("box_row0", "int64", "box first row", "input px"), col("box_row1", "int64", "box end row (exclusive)", "input px"),
     col("box_col0", "int64", "box first column", "input px"), col("box_col1", "int64", "box end column (exclusive)", "input px"),
     col("image_index", "int64", "index into similarity.npz's projection_images")) + _ARM,
)

PROTO_TOP = TableSchema(
    "prototype_top3", "results/prototypes/<arm>/fold<k>/top3.parquet",
    "Per validation and test vertebra, the three prototypes most similar to it.",
    _CASE + (col("rank", "int64", "1-3 by similarity"), col("prototype", "int64", "prototype index"),
             col("prototype_grade", "int64", "grade of the prototype"), col("similarity", "float64", "log similarity (max over positions)"),
             col("contribution", "float64", "similarity x connection to the predicted grade's logit"),
             col("peak_row", "int64", "row of the upsampled heatmap's maximum", "input px"),
             col("peak_col", "int64", "column of the heatmap's maximum", "input px"),
             col("peak_in_fracture", "float64", "1 if the peak lies in the ground-truth fracture region, 0 if not, NaN without one"),
             col("peak_in_body", "float64", "1 if the peak lies in the vertebra's own body mask, 0 if not, NaN without one"))
    + _ARM,
)

PROTO_CONTRIBUTIONS = TableSchema(
    "prototype_contributions", "results/prototypes/<arm>/fold<k>/contributions.parquet",
    "Per vertebra and prototype grade, the summed similarity x connection to the logit of the vertebra's true grade.",
    _CASE + (col("grade", "int64", "true grade"), col("prototype_grade", "int64", "grade of the prototypes summed"),
             col("contribution", "float64", "sum of similarity x last-layer weight")) + _ARM,
)

PROTO_COSINE = TableSchema(
    "prototype_cosine", "results/prototypes/<arm>/fold<k>/cosine.parquet",
    "Cosine similarity of every pair of prototype vectors.",
    (col("prototype_a", "int64", "first prototype"), col("prototype_b", "int64", "second prototype"),
     col("grade_a", "int64", "grade of the first"), col("grade_b", "int64", "grade of the second"),
     col("cosine", "float64", "cosine similarity")) + _ARM,
)

PROTO_LOCALISATION = TableSchema(
    "prototype_localisation", "results/prototypes/<arm>/fold<k>/localisation.parquet",
    "Where each explanation of a G2/G3 vertebra with a ground-truth fracture region peaks (prototype1-3: "
    "the top-3 prototypes' heatmaps; gradcam, gradcam++, xgradcam: the baseline's maps for the true grade).",
    _CASE + (col("method", "string", "explanation"), col("peak_row", "int64", "peak row", "input px"),
             col("peak_col", "int64", "peak column", "input px"),
             col("hit", "bool", "the peak pixel lies in the ground-truth fracture region on the input grid (data.regions.downsample_mask)"),
             col("in_body", "bool", "the peak pixel lies in the vertebra's own body mask on the input grid")) + _ARM,
)

PROTO_TABLES = TableSchema(
    "prototype_tables", "results/prototypes/tables.parquet",
    "Mean and SD over folds, shaped like the paper's Tables 1 (test), 2 (cross-validation), 5 (prototypes per "
    "class), 6 (diversity weight) and Figure 7 (class weighting); ablation rows are arms differing from the main "
    "arm in that one setting.",
    (col("paper_table", "string", "which table of the paper the row belongs to"),
     col("varied", "string", "the setting compared"), col("value", "string", "its value in this row"),
     col("arm", "string", "arm"), col("split", "string", "val (cross-validation) or test"))
    + _ARM_SETTINGS + tuple(col(f"{c.name}_{s}", "float64", f"{s} over folds of {c.description}")
                            for c in _PROTO_METRICS for s in ("mean", "std"))
    + (col("folds", "int64", "folds averaged"),),
)

PROTO_WILCOXON = TableSchema(
    "prototype_wilcoxon", "results/prototypes/wilcoxon.parquet",
    "Paired Wilcoxon signed-rank tests over folds of the main arm against every other arm (scipy, exact).",
    (col("split", "string", "val or test"), col("arm", "string", "main arm"), col("other", "string", "arm compared"),
     col("metric", "string", "class_accuracy, class_f1 or sample_accuracy"), col("folds", "int64", "paired folds"),
     col("mean_difference", "float64", "mean of main - other"),
     col("p_two_sided", "float64", "two-sided p (min 0.0625 with 5 folds); NaN when all differences are 0"),
     col("p_one_sided", "float64", "one-sided p for 'main is better'")),
)

PROTO_CONTRIBUTION_MATRIX = TableSchema(
    "prototype_contribution_matrix", "results/prototypes/contribution_matrix.parquet",
    "Table 3: mean contribution of each prototype grade to the logit of the test vertebra's own grade.",
    (col("arm", "string", "arm"), col("grade", "int64", "test vertebra grade"), col("prototype_grade", "int64", "prototype grade"),
     col("contribution_mean", "float64", "mean over folds of the per-fold mean"),
     col("contribution_std", "float64", "SD over folds"), col("folds", "int64", "folds")),
)

PROTO_COSINE_SUMMARY = TableSchema(
    "prototype_cosine_summary", "results/prototypes/cosine_summary.parquet",
    "Figure 3 in numbers: mean cosine of distinct same-grade prototype pairs and of different-grade pairs.",
    (col("arm", "string", "arm"), col("fold", "int64", "fold"),
     col("intra_class_cosine", "float64", "mean cosine of distinct same-grade pairs"),
     col("inter_class_cosine", "float64", "mean cosine of different-grade pairs")),
)

PROTO_LOCALISATION_SUMMARY = TableSchema(
    "prototype_localisation_summary", "results/prototypes/localisation.parquet",
    "How often explanation peaks fall inside the ground-truth fracture region of G2/G3 test vertebrae (synthetic data).",
    (col("arm", "string", "arm"), col("method", "string", "top-3 prototypes (every peak), top-3 prototypes 2 of 3, or a CAM"),
     col("hit_rate", "float64", "fraction of peaks (or cases) inside the region"),
     col("body_rate", "float64", "fraction of peaks inside the vertebra's own body mask (NaN for the 2-of-3 row)"),
     col("cases", "int64", "vertebrae x folds scored"), col("folds", "int64", "folds")),
)

READER_SCORES = TableSchema(
    "reader_scores", "results/prototypes/reader_scores.parquet",
    "Table 4 analogue from filled reader forms: fraction of cases with at least 2 of 3 prototypes marked 'yes'.",
    (col("rater", "string", "form file name"), col("question", "string", "relevant or similar"),
     col("grade", "string", "G2, G3 or total"), col("fraction_yes", "float64", "fraction of answered cases with 2 of 3 yes"),
     col("cases", "int64", "answered cases"), col("unanswered", "int64", "cases with a blank answer")),
)
