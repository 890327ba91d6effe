"""Cases and network dissection (results/cases.parquet, results/dissection, results/cases)."""

from __future__ import annotations

from spinexai.io.schema import TableSchema, col

_CASE_KEYS = (col("subject", "string", "subject ID"), col("label", "int64", "VerSe label"),
              col("level", "string", "level name"), col("grade", "int64", "Genant grade (-1 unknown)"),
              col("fracture", "bool", "ground truth"))

CASES = TableSchema(
    "cases", "results/cases.parquet",
    "Vertebrae explained case by case (dissection and the report): the config's list plus, per fold, the most "
    "confident true positives, false positives and false negatives of the fold model on its scored split.",
    (col("fold", "int64", "the fold model that explains the case"),) + _CASE_KEYS + (
        col("split", "string", "'val' or 'test': the split on which the fold model scored the case"),
        col("probability", "float64", "the fold model's fracture probability"),
        col("prediction", "bool", "probability >= classifier3d.threshold"),
        col("outcome", "string", "TP, FP, FN or TN"),
        col("reason", "string", "'listed' (config cases.list) or 'auto' (the per-fold choice)"),
    ),
)

DISSECTION_THRESHOLDS = TableSchema(
    "dissection_thresholds", "results/dissection/fold<k>/thresholds.parquet",
    "Per-unit activation threshold T_k with P(a_k > T_k) = dissection.quantile over every voxel of every sample "
    "of the dissection set (exact, numpy's linear quantile).",
    (col("unit", "int64", "channel of the encoder's last block"), col("threshold", "float64", "T_k"),
     col("quantile", "float64", "upper tail probability q"), col("n_values", "int64", "activations per unit (samples x voxels)")),
)

DISSECTION_RESPONSES = TableSchema(
    "dissection_responses", "results/dissection/fold<k>/responses.parquet",
    "One row per sample of the dissection set and unit: whether the unit is enabled, its relevance and peak.",
    _CASE_KEYS + (
        col("probability", "float64", "fracture probability of the fold model"),
        col("prediction", "bool", "probability >= classifier3d.threshold"),
        col("unit", "int64", "unit"), col("enabled", "bool", "some voxel of the unit's map exceeds T_k"),
        col("relevance", "float64", "r_k = sum over voxels of M_k * A_k"),
        col("peak", "float64", "maximum activation of the unit on the sample"),
    ),
)

_CONCEPT_BEST = (
    col("best_concept", "string", "concept of highest IoU (candidate label; empty without concept masks)"),
    col("best_iou", "float64", "its dataset-level IoU"),
)

UNIT_RANKING = TableSchema(
    "unit_ranking", "results/dissection/fold<k>/unit_ranking.parquet",
    "Every unit with its firing rate c_k over true positives (the paper), ground-truth positives, false positives "
    "and negatives, the positive-minus-negative contrast, the rank under each, and its concept label.",
    (col("unit", "int64", "unit"), col("threshold", "float64", "T_k"),
     col("c_tp", "float64", "fraction of true-positive predictions enabling the unit (NaN without any)"),
     col("c_positive", "float64", "fraction of ground-truth positives enabling the unit"),
     col("c_false_positive", "float64", "fraction of false positives enabling the unit (NaN without any)"),
     col("c_negative", "float64", "fraction of ground-truth negatives enabling the unit"),
     col("contrast", "float64", "c_positive - c_negative"),
     col("rank_tp", "int64", "rank by c_tp (1 = highest)"), col("rank_positive", "int64", "rank by c_positive"),
     col("rank_false_positive", "int64", "rank by c_false_positive"), col("rank_contrast", "int64", "rank by contrast"))
    + _CONCEPT_BEST + (col("fracture_iou", "float64", "IoU with the ground-truth fracture region (NaN without one)"),),
)

TOP_UNITS = TableSchema(
    "top_units", "results/dissection/fold<k>/top_units.parquet",
    "The top units of each ranking (dissection.top_units per ranking).",
    (col("ranking", "string", "tp, positive, false_positive or contrast"), col("rank", "int64", "1 = highest"),
     col("unit", "int64", "unit"), col("value", "float64", "the ranking's score (c_k or contrast)"))
    + _CONCEPT_BEST + (col("fracture_iou", "float64", "IoU with the ground-truth fracture region"),),
)

UNIT_CONCEPTS = TableSchema(
    "unit_concepts", "results/dissection/fold<k>/concepts.parquet",
    "IoU of each unit's above-threshold region (activation upsampled to the input grid) with each anatomical "
    "concept, summed over the samples where the concept can be derived.",
    (col("unit", "int64", "unit"), col("concept", "string", "vertebral_body, superior_endplate, inferior_endplate, discs, "
                                                              "adjacent_vertebrae, posterior_elements, fracture"),
     col("iou", "float64", "sum of intersections / sum of unions"), col("intersection", "float64", "voxels", "voxels"),
     col("union", "float64", "voxels", "voxels"), col("n_samples", "int64", "samples where the concept exists")),
)

FRACTURE_OVERLAP = TableSchema(
    "fracture_overlap", "results/dissection/fold<k>/fracture_overlap.parquet",
    "Do a ranking's top units overlap the ground-truth fracture region more than random units? (synthetic data)",
    (col("ranking", "string", "tp, positive, false_positive or contrast"), col("n_units", "int64", "top units tested"),
     col("mean_iou", "float64", "mean fracture IoU of the top units"),
     col("null_mean_iou", "float64", "mean over random unit sets of the same size"),
     col("p_value", "float64", "one-sided permutation p-value ((1 + #null >= observed) / (1 + permutations))"),
     col("n_above_median", "int64", "top units whose fracture IoU exceeds the median unit's"),
     col("n_above_p95", "int64", "top units whose fracture IoU exceeds the 95th percentile of all units")),
)

UNIT_EXPORTS = TableSchema(
    "unit_exports", "results/dissection/fold<k>/units/exports.parquet",
    "Files exported per top unit: the collage and, per top sample, all slices and NIfTI volumes on the "
    "classifier's input grid with the patch's real affine (they overlay the source CT).",
    (col("unit", "int64", "unit"), col("rank", "int64", "rank in the exported ranking"),
     col("sample_rank", "int64", "0 for the collage row, 1.. for the top samples"),
     col("subject", "string", "subject (empty for the collage)"), col("label", "int64", "VerSe label (-1 for the collage)"),
     col("slice", "int64", "sagittal slice shown (-1 for the collage)"), col("kind", "string", "collage, slices, ct, activation, mask"),
     col("file", "string", "path relative to the units folder")),
)

DISSECTION_TOP_UNITS = TableSchema(
    "dissection_top_units", "results/dissection/top_units.parquet",
    "Every fold's top_units table stacked, with the fold.",
    (col("fold", "int64", "fold model"),) + TOP_UNITS.columns,
)

DISSECTION_OVERLAP = TableSchema(
    "dissection_fracture_overlap", "results/dissection/fracture_overlap.parquet",
    "Every fold's fracture_overlap table stacked, with the fold (empty without ground-truth fracture regions).",
    (col("fold", "int64", "fold model"),) + FRACTURE_OVERLAP.columns,
)

CASE_RELEVANCE = TableSchema(
    "case_relevance", "results/dissection/fold<k>/cases/sub-<id>_vert-<label>/relevance.parquet",
    "Single inference: every unit's relevance r_k for one case, ranked, with its dataset-level standing.",
    (col("unit", "int64", "unit"), col("relevance", "float64", "r_k on the case"), col("rank", "int64", "1 = most relevant"),
     col("enabled", "bool", "the unit is enabled on the case"), col("rank_tp", "int64", "the unit's rank by c_tp in the fold"))
    + _CONCEPT_BEST,
)

CASE_OVERLAYS = TableSchema(
    "case_overlays", "results/cases/fold<k>/sub-<id>_vert-<label>/overlays.parquet",
    "A case's 2D explanation maps written onto the source CT's voxel grid (NIfTI beside this table, the CT's "
    "shape and affine), one row per method; a method without a map says why.",
    (col("subject", "string", "subject ID"), col("label", "int64", "vertebra label"), col("fold", "int64", "fold"),
     col("method", "string", "prototype1-3 (the top-3 ProtoVerse prototypes), counterfactual, gradcam, "
         "gradcam_pp, xgradcam, saliency"),
     col("file", "string", "NIfTI file name in this folder (empty: no map)"),
     col("source_grid", "string", "the map's own grid (rows x columns) before it was put on the sheet"),
     col("description", "string", "what the map shows"), col("note", "string", "why there is no map")),
)
