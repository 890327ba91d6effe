"""Counterfactual impact analysis (results/counterfactual)."""

from __future__ import annotations

from spinexai.io.schema import TableSchema, col

_CF = "results/counterfactual"
_FOLD = (col("fold", "int64", "cross-validation fold whose networks produced the row"),)
_CF_CASE = (col("subject", "string", "subject ID"), col("label", "int64", "VerSe label"),
            col("level", "string", "level name"), col("grade", "int64", "Genant grade"),
            col("split", "string", "'val' (the fold's own subjects) or 'test' (held-out)"))

CF_INPAINTER_HISTORY = TableSchema(
    "inpainter_history", f"{_CF}/fold<k>/inpainter_history.parquet",
    "One row per epoch of the inpainter's two phases (phase2: encoder batch norm frozen).",
    (col("stage", "string", "phase1 or phase2"), col("epoch", "int64", "epoch within the phase"),
     col("train_loss", "float64", "mean Liu et al. loss of the epoch"),
     col("val_hole_l1", "float64", "validation healthy vertebrae: mean |output - image| inside the fixed holes",
        "CT in [0, 1]"),
     col("best", "bool", "best validation hole L1 of the phase so far")) + _FOLD,
)

CF_DOMAIN = TableSchema(
    "inpainter_domain", f"{_CF}/fold<k>/domain.parquet",
    "The inpainter domain test: the 2D classifier's AUC (fracture vs healthy) on the originals, with random "
    "blob masks inpainted outside the fracture region (one row per repetition) and with the ground-truth "
    "fracture region (dilated by 1 px) inpainted; two diagnostics: the region dilated by 4 px, and the "
    "whole vertebral body (dilated by 1 px) inpainted.",
    (col("condition", "string", "original, healthy_tissue, fracture_region, fracture_region_wide or vertebral_body"),
     col("repetition", "int64", "draw of the random masks (0 for the other conditions)"),
     col("auc", "float64", "ROC AUC of p(fracture)"), col("n", "int64", "vertebrae"),
     col("n_positive", "int64", "fractured vertebrae (grade >= data.fracture_min_grade)"),
     col("mean_p_fractured", "float64", "mean p(fracture) of the fractured vertebrae"),
     col("mean_p_healthy", "float64", "mean p(fracture) of the healthy vertebrae"),
     col("split", "string", "evaluated split (test; val without a test set)")) + _FOLD,
)

CF_ROC = TableSchema(
    "inpainter_roc", f"{_CF}/fold<k>/roc.parquet", "ROC points of every domain-test condition and repetition.",
    (col("condition", "string", "as in inpainter_domain"), col("repetition", "int64", "draw"),
     col("fpr", "float64", "1 - specificity"), col("tpr", "float64", "sensitivity"),
     col("split", "string", "evaluated split")) + _FOLD,
)

CF_QUALITY = TableSchema(
    "inpainter_quality", f"{_CF}/fold<k>/quality.parquet",
    "Reconstruction of healthy vertebrae under the domain test's random masks.",
    (col("repetition", "int64", "draw"), col("hole_l1", "float64", "mean |inpainted - original| in the holes",
                                          "CT in [0, 1]"),
     col("hole_fraction", "float64", "mean share of the image masked"), col("split", "string", "evaluated split")) + _FOLD,
)

CF_ATTRIBUTION_HISTORY = TableSchema(
    "attribution_history", f"{_CF}/fold<k>/attribution_history.parquet",
    "One row per epoch of the attribution network's training.",
    (col("epoch", "int64", "epoch"), col("train_loss", "float64", "mean objective"),
     col("val_total", "float64", "validation objective"),
     col("val_p_fracture", "float64", "validation mean p(fracture) of the counterfactuals"),
     col("val_area", "float64", "validation mean area penalty"), col("best", "bool", "best validation objective so far"))
    + _FOLD,
)

CF_LOCALISATION = TableSchema(
    "attribution_localisation", f"{_CF}/fold<k>/localisation.parquet",
    "Per fractured vertebra and method: the binary map against the target region (the ground-truth fracture "
    "region where there is one, else the vertebral body). Ours: the network's map > threshold; gradcam_pQ / "
    "saliency_pQ: the map >= its Q-th percentile inside the body.",
    _CF_CASE + (col("method", "string", "ours, gradcam_p50, ..., saliency_p90"),
                col("target", "string", "fracture (ground-truth region) or body (vertebral body)"),
                col("hausdorff_mm", "float64", "symmetric Hausdorff distance; by default the median over "
                    "(true component, map component) pairs, counterfactual.hausdorff (NaN: empty map)", "mm"),
                col("weak_localisation", "float64", "share of target boxes matched at box IoU >= counterfactual.box_iou"),
                col("area_ratio", "float64", "map area / vertebral-body area"),
                col("empty", "bool", "the binary map has no pixel")) + _FOLD,
)

CF_SANITY = TableSchema(
    "attribution_sanity", f"{_CF}/fold<k>/sanity.parquet",
    "Model-randomisation check (Adebayo et al. 2018): Spearman correlation of each fractured vertebra's map "
    "before and after re-initialising the classifier encoder's weights.",
    _CF_CASE + (col("method", "string", "ours, gradcam or saliency"),
                col("spearman", "float64", "rank correlation (NaN: a constant map)")) + _FOLD,
)

CF_TIMING = TableSchema(
    "attribution_timing", f"{_CF}/fold<k>/timing.parquet",
    "Maps per second on the job's device, best of counterfactual.timing_repeats runs over the split's images "
    "(the iterative baseline: one batch).",
    (col("method", "string", "ours, gradcam, saliency, iterative_<steps>_steps"), col("maps", "int64", "maps computed"),
     col("seconds", "float64", "wall time", "s"), col("maps_per_second", "float64", "throughput", "1/s"),
     col("device", "string", "GPU name or cpu"), col("batch_size", "int64", "batch size"),
     col("split", "string", "images timed")) + _FOLD,
)

CF_EFFECTS = TableSchema(
    "attribution_effects", f"{_CF}/fold<k>/effects.parquet",
    "p(fracture) of every validation and test vertebra before and after deleting its map (the counterfactual).",
    _CF_CASE + (col("p_original", "float64", "p(fracture) of the image"),
                col("p_counterfactual", "float64", "p(fracture) of the counterfactual"),
                col("map_area", "float64", "share of the image in the binary map"),
                col("below_threshold", "bool", "counterfactual p(fracture) < counterfactual.fracture_threshold"))
    + _FOLD,
)

CF_DOMAIN_SUMMARY = TableSchema(
    "inpainter_domain_summary", f"{_CF}/domain_summary.parquet",
    "Domain test over folds and repetitions (paper Fig. 1c).",
    (col("condition", "string", "original, healthy_tissue, fracture_region, fracture_region_wide, vertebral_body"),
     col("auc_mean", "float64", "mean AUC"),
     col("auc_sd", "float64", "SD of the AUC"), col("auc_change_mean", "float64", "mean AUC change from the originals"),
     col("auc_change_max_abs", "float64", "largest |AUC change| of any fold and repetition"),
     col("mean_p_fractured", "float64", "mean p(fracture) of fractured vertebrae"),
     col("mean_p_healthy", "float64", "mean p(fracture) of healthy vertebrae"), col("runs", "int64", "fold x repetition runs")),
)

CF_LOCALISATION_SUMMARY = TableSchema(
    "attribution_table1", f"{_CF}/table1.parquet",
    "Paper Table 1: per split, target and method, mean and SD of the Hausdorff distance, weak localisation and "
    "area ratio over the fractured vertebrae of the evaluated folds.",
    (col("split", "string", "val or test"), col("target", "string", "fracture or body"), col("method", "string", "method"),
     col("cases", "int64", "vertebrae"), col("empty_fraction", "float64", "share of empty maps"),
     col("hausdorff_mm_mean", "float64", "mean Hausdorff distance over non-empty maps", "mm"),
     col("weak_localisation_mean", "float64", "mean weak localisation"), col("area_ratio_mean", "float64", "mean area ratio"),
     col("hausdorff_mm_sd", "float64", "SD", "mm"), col("weak_localisation_sd", "float64", "SD"),
     col("area_ratio_sd", "float64", "SD")),
)

CF_WILCOXON = TableSchema(
    "attribution_wilcoxon", f"{_CF}/wilcoxon.parquet",
    "Paired two-sided Wilcoxon signed-rank tests of our maps against each baseline and percentile, per metric.",
    (col("split", "string", "val or test"), col("target", "string", "fracture or body"),
     col("method", "string", "the baseline"), col("metric", "string", "hausdorff_mm, weak_localisation, area_ratio"),
     col("pairs", "int64", "vertebrae with both values defined"), col("ours_mean", "float64", "our mean over the pairs"),
     col("other_mean", "float64", "the baseline's mean over the pairs"), col("statistic", "float64", "Wilcoxon W"),
     col("p_value", "float64", "two-sided p (NaN: no pair or no difference)")),
)

CF_SANITY_SUMMARY = TableSchema(
    "attribution_sanity_summary", f"{_CF}/sanity_summary.parquet",
    "Mean rank correlation of maps before and after weight randomisation, per method.",
    (col("split", "string", "val or test"), col("method", "string", "ours, gradcam, saliency"),
     col("cases", "int64", "vertebrae"), col("spearman_mean", "float64", "mean Spearman"),
     col("spearman_sd", "float64", "SD")),
)

CF_EFFECT_SUMMARY = TableSchema(
    "attribution_effect_summary", f"{_CF}/effect_summary.parquet",
    "Per split and grade, p(fracture) before and after the deletion and the map area.",
    (col("split", "string", "val or test"), col("grade", "int64", "Genant grade"), col("cases", "int64", "vertebrae"),
     col("p_original_mean", "float64", "mean p(fracture)"), col("p_counterfactual_mean", "float64", "after deletion"),
     col("map_area_mean", "float64", "mean map area (share of the image)"),
     col("below_threshold_fraction", "float64", "share whose counterfactual falls below the threshold")),
)
