"""The explanation benchmark (results/benchmark)."""

from __future__ import annotations

from spinexai.io.schema import TableSchema, col

_BENCH = "results/benchmark"
_BENCH_SCORE_COLUMNS = (
    col("subject", "string", "subject ID"), col("label", "int64", "VerSe label"), col("level", "string", "level name"),
    col("grade", "int64", "Genant grade (1-3)"), col("group", "string", "'G2-G3' or 'G1' (reported apart)"),
    col("fold", "int64", "cross-validation fold whose models made the map (held-out test vertebrae)"),
    col("method", "string", "explanation method, or the reference maps 'centre_prior' and 'random'"),
    col("grid", "string", "'2d' (the 2D grade models' sagittal input) or '3d' (the 3D classifier's input patch)"),
    col("grid_size", "int64", "pixels (voxels) per edge of the grid"),
    col("spacing_mm", "float64", "pixel (voxel) size of the grid", "mm"),
    col("region_pixels", "int64", "|R|: pixels of the true fracture region on the grid (at least half inside)"),
    col("pointing", "float64", "1 when the map's peak lies in R dilated by benchmark.pointing_mm, else 0"),
    col("energy", "float64", "share of the map's positive sum inside R"),
    col("topk_iou", "float64", "IoU of the k = |R| highest pixels (ties included) with R"),
    col("hausdorff_mm", "float64", "symmetric Hausdorff distance of the top-k set and R", "mm"),
    col("auc", "float64", "ROC-AUC of the map's values as a detector of R's pixels"),
    col("empty", "bool", "the map is zero everywhere (scored 0 on pointing and energy)"),
)

BENCHMARK_FOLD = TableSchema(
    "benchmark_fold", f"{_BENCH}/fold<k>/scores.parquet",
    "One fold's benchmark scores: one row per held-out vertebra, method and grid.", _BENCH_SCORE_COLUMNS,
)

BENCHMARK_EXPLANATIONS = TableSchema(
    "benchmark_explanations", f"{_BENCH}/explanations.parquet",
    "Every explanation method scored against the true fracture region: one row per vertebra, fold, method and grid.",
    _BENCH_SCORE_COLUMNS,
)

BENCHMARK_SUMMARY = TableSchema(
    "benchmark_summary", f"{_BENCH}/summary.parquet",
    "Per group, grid, method and metric: mean over vertebrae and folds, and paired two-sided Wilcoxon signed-rank "
    "tests against the centre prior (same grid) and against Grad-CAM (2D), paired by fold and vertebra.",
    (col("group", "string", "'G2-G3' or 'G1'"), col("grid", "string", "'2d' or '3d'"), col("method", "string", "method"),
     col("metric", "string", "pointing, energy, topk_iou, hausdorff_mm or auc"),
     col("mean", "float64", "mean over vertebrae and folds"), col("std", "float64", "SD over vertebrae and folds"),
     col("n", "int64", "scored (vertebra, fold) pairs"), col("n_empty", "int64", "maps that were zero everywhere"),
     col("vs_prior_difference", "float64", "mean paired difference, method minus centre prior"),
     col("vs_prior_p", "float64", "two-sided Wilcoxon p against the centre prior (NaN: no non-zero difference)"),
     col("vs_prior_pairs", "int64", "pairs in that test"),
     col("vs_prior_test", "string", "exact (scipy's exact distribution), approx (normal approximation) or none"),
     col("vs_gradcam_difference", "float64", "mean paired difference, method minus 2D Grad-CAM"),
     col("vs_gradcam_p", "float64", "two-sided Wilcoxon p against Grad-CAM"),
     col("vs_gradcam_pairs", "int64", "pairs in that test"), col("vs_gradcam_test", "string", "exact, approx or none"),
     col("beats_prior", "bool", "better than the centre prior in the metric's direction with p < 0.05"),
     col("verdict", "string", "'beats the centre prior', 'does not beat the centre prior' (it does not localise by this "
                             "metric) or 'reference'")),
)
