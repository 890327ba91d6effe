"""Parquet tables with documented schemas: every column has a type, a unit and a meaning.

``python -m spinexai.io.tables`` prints the schemas as Markdown (docs/tables.md is generated so).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from spinexai.errors import InputError
from spinexai.io.atomic import atomic_path


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # pyarrow type name: string, int64, float64, bool
    description: str
    unit: str = ""


@dataclass(frozen=True)
class TableSchema:
    name: str
    path: str
    description: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def arrow(self) -> pa.Schema:
        types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_()}
        return pa.schema([pa.field(c.name, types[c.dtype]) for c in self.columns])


def _c(name: str, dtype: str, description: str, unit: str = "") -> Column:
    return Column(name, dtype, description, unit)


_VERTEBRA_KEYS = (
    _c("subject", "string", "subject ID without the 'sub-' prefix"),
    _c("series", "string", "series entity ('split-...' value), empty for single-series subjects"),
    _c("label", "int64", "VerSe vertebra label (1-7 C, 8-19 T, 20-25 L, 28 T13)"),
    _c("level", "string", "level name, e.g. 'L1'"),
)
_GRADE = (
    _c("grade", "int64", "Genant grade 0-3; -1 when not graded or graded with an unknown code"),
    _c("fracture", "bool", "grade >= config data.fracture_min_grade"),
    _c("morphology", "string", "normal / wedge / biconcave / crush where known, else empty"),
)
_STATUS = (
    _c("status", "string", "'included' or 'excluded'"),
    _c("reason", "string", "why the vertebra was excluded (empty when included)"),
)

MANIFEST = TableSchema(
    "manifest", "results/data/manifest.parquet",
    "One row per vertebra found by ingest (labelled in the mask, listed in the centroid file or graded).",
    _VERTEBRA_KEYS + _GRADE + (
        _c("ct_path", "string", "CT image"),
        _c("mask_path", "string", "vertebra label mask (empty if none)"),
        _c("body_mask_path", "string", "vertebral-body mask used for body centres (empty if none)"),
        _c("mask_convention", "string", "'verse' or 'totalsegmentator' label numbering of the mask"),
        _c("mask_resampled", "bool", "the mask grid differed from the CT grid and was resampled onto it"),
        _c("centroid_x", "float64", "reformatting centre, world x (RAS)", "mm"),
        _c("centroid_y", "float64", "reformatting centre, world y (RAS)", "mm"),
        _c("centroid_z", "float64", "reformatting centre, world z (RAS)", "mm"),
        _c("centroid_source", "string", "json (file as given), mask_body (body mask), "
                                        "mask_estimate (anterior part of the vertebra mask), mask (whole-vertebra mask centre: "
                                        "the subject has no centroid file)"),
        _c("truth_path", "string", "ground-truth morphometry JSON (synthetic cohort), empty for real data"),
        _c("fracture_mask_path", "string", "ground-truth fracture region mask (synthetic cohort), empty otherwise"),
    ) + _STATUS,
)

EXCLUDED = TableSchema(
    "excluded", "results/data/excluded.parquet",
    "One row per excluded vertebra (label >= 1), subject or unusable CT-like file under rawdata (label -1), "
    "with the stage that excluded it.",
    _VERTEBRA_KEYS + (
        _c("stage", "string", "'ingest' or 'reformat'"),
        _c("reason", "string", "why it was excluded"),
        _c("file", "string", "the file the reason refers to"),
    ),
)

SPLINE = TableSchema(
    "spline", "results/data/reformat/sub-<id>/spline.parquet",
    "The centroid spline of one subject, sampled every 1 mm of arc length, with its moving frame.",
    (
        _c("subject", "string", "subject ID"),
        _c("s", "float64", "arc length from the most cranial centroid (negative in the cranial extension)", "mm"),
        *(_c(f"{v}_{a}", "float64", f"{desc}, world {a} (RAS)", unit)
          for v, desc, unit in (("pos", "curve point", "mm"), ("t", "tangent (caudal)", ""), ("p", "posterior axis", ""),
                                ("l", "lateral axis (patient left)", ""))
          for a in "xyz"),
    ),
)

SAG_SHEET = TableSchema(
    "sagittal_sheet", "results/data/reformat/sub-<id>/patches/sub-<id>_vert-<label>_sag-sheet.parquet",
    "The curved sheet one 2D reformation was sampled on, one row per image row: pixel (i, j) lies at world "
    "origin_i + (j - centre_column) * spacing_mm * p_i (spinexai.geometry.sheet.sheet_points). The NIfTI's "
    "affine is this sheet's tangent plane at the centroid, exact along the centre row only.",
    (
        _c("row", "int64", "image row (axis 0 of the reformation)"),
        _c("s", "float64", "arc length of the row on the subject's spline", "mm"),
        _c("centre_column", "int64", "column through the curve (offset 0)"),
        _c("spacing_mm", "float64", "pixel spacing along the row", "mm"),
        *(_c(f"origin_{a}", "float64", f"the row's point on the curve (shifted through the centroid), world {a} (RAS)", "mm")
          for a in "xyz"),
        *(_c(f"p_{a}", "float64", f"the row's posterior axis (unit), world {a} (RAS)") for a in "xyz"),
    ),
)

PATCHES = TableSchema(
    "patches", "results/data/patches.parquet",
    "One row per vertebra that ingest included, with the reformatted files; reformat may exclude more.",
    _VERTEBRA_KEYS + _GRADE + (
        _c("centroid_x", "float64", "patch centre (the vertebra's reformatting centre), world x (RAS)", "mm"),
        _c("centroid_y", "float64", "patch centre, world y (RAS)", "mm"),
        _c("centroid_z", "float64", "patch centre, world z (RAS)", "mm"),
        _c("s", "float64", "arc length of the centre on the subject's spline", "mm"),
        _c("fov_fraction", "float64", "fraction of the 3D patch inside the scan's field of view"),
        _c("ct_patch", "string", "96^3 1 mm CT patch (HU, IPL axes: inferior, posterior, left)"),
        _c("mask_patch", "string", "96^3 vertebra label patch"),
        _c("body_patch", "string", "96^3 vertebral-body label patch (empty without a body mask)"),
        _c("fracture_patch", "string", "96^3 ground-truth fracture region (synthetic only)"),
        _c("sag_ct", "string", "224^2 0.5 mm straightened mid-sagittal reformation (HU)"),
        _c("sag_mask", "string", "224^2 label reformation"),
        _c("sag_body", "string", "224^2 vertebral-body label reformation (empty without a body mask)"),
        _c("sag_fracture", "string", "224^2 ground-truth fracture region reformation (synthetic only)"),
        _c("sag_heatmap", "string", "224^2 Gaussian centroid channel"),
        _c("sag_sheet", "string", "the reformation's sampling sheet: world position of every pixel (sagittal_sheet table)"),
        _c("truth_path", "string", "ground-truth morphometry JSON (synthetic cohort), empty for real data"),
    ) + _STATUS,
)

FOLDS = TableSchema(
    "folds", "results/data/folds.parquet",
    "Patient-level assignment: K cross-validation folds stratified by fracture status, plus a held-out test set.",
    (
        _c("subject", "string", "subject ID"),
        _c("split", "string", "'cv' or 'test'"),
        _c("fold", "int64", "fold 0..K-1 for cv subjects (the fold in which it is validated), -1 for test"),
        _c("has_fracture", "bool", "the subject has at least one included fractured vertebra"),
        _c("n_vertebrae", "int64", "included vertebrae of the subject"),
        _c("n_fractures", "int64", "included fractured vertebrae of the subject"),
    ),
)

_METRIC_COLUMNS = (
    _c("f1", "float64", "F1 of the fracture class at the decision threshold"),
    _c("accuracy", "float64", "accuracy at the decision threshold"),
    _c("sensitivity", "float64", "true-positive rate at the threshold (NaN without positives)"),
    _c("specificity", "float64", "true-negative rate at the threshold (NaN without negatives)"),
    _c("auc", "float64", "area under the ROC curve (NaN with one class)"),
    _c("ap", "float64", "average precision (NaN with one class)"),
    _c("n", "int64", "vertebrae scored"),
    _c("n_positive", "int64", "fractured vertebrae among them"),
)

CLASSIFIER_HISTORY = TableSchema(
    "classifier3d_history", "results/classifier3d/fold<k>/history.parquet",
    "One row per training epoch of a fold.",
    (_c("epoch", "int64", "epoch index from 0"), _c("train_loss", "float64", "mean training loss of the epoch"))
    + tuple(Column(f"val_{c.name}", c.dtype, f"validation {c.description}", c.unit) for c in _METRIC_COLUMNS)
    + (_c("best", "bool", "the epoch improved the monitored validation metric (its weights are kept)"),),
)

CLASSIFIER_PREDICTIONS = TableSchema(
    "classifier3d_predictions", "results/classifier3d/fold<k>/predictions.parquet",
    "One row per scored vertebra and fold model: the fold's validation subjects and the held-out test set. "
    "results/classifier3d/predictions.parquet stacks every fold.",
    (_c("subject", "string", "subject ID"), _c("label", "int64", "VerSe label"), _c("level", "string", "level name"),
     _c("grade", "int64", "Genant grade (-1 unknown)"), _c("fracture", "bool", "ground truth"),
     _c("fold", "int64", "the fold whose model scored it"),
     _c("split", "string", "'val' or 'test' ('predict' in a predict run: results/predict/classifier3d/)"),
     _c("probability", "float64", "predicted fracture probability"),
     _c("prediction", "bool", "probability >= classifier3d.threshold")),
)

CLASSIFIER_METRICS = TableSchema(
    "classifier3d_metrics", "results/classifier3d/fold<k>/metrics.parquet",
    "Metrics of one fold model on its validation subjects and on the test set "
    "(results/classifier3d/metrics_by_fold.parquet stacks every fold).",
    (_c("fold", "int64", "fold"), _c("split", "string", "'val' or 'test'")) + _METRIC_COLUMNS,
)

CLASSIFIER_SUMMARY = TableSchema(
    "classifier3d_table1", "results/classifier3d/table1.parquet",
    "The Table 1 analogue of Engstler et al.: each metric's mean and SD over the fold models.",
    (_c("split", "string", "'val' or 'test'"), _c("metric", "string", "f1, accuracy, auc, ap, sensitivity, specificity"),
     _c("mean", "float64", "mean over folds"), _c("std", "float64", "sample SD over folds"),
     _c("n_folds", "int64", "folds where the metric is defined")),
)

MORPHOMETRY = TableSchema(
    "morphometry", "results/morphometry/heights.parquet",
    "Six-point morphometry measured on the vertebral-body mask in each vertebra's mid-sagittal reformation "
    "(10%, 50%, 90% of the body depth from the front), with the Genant reading against expected heights: the largest "
    "own height, or, when that lies 15% or more below the nearest unfractured neighbours' largest (same subject, "
    "within 3 levels, unfractured by their own-height reading: a uniform crush), those neighbours' heights scaled by "
    "level (spinexai.genant.expected_heights).",
    (
        _c("subject", "string", "subject ID"), _c("label", "int64", "VerSe label"), _c("level", "string", "level name"),
        _c("grade", "int64", "Genant grade of the grade table (-1 unknown)"),
        _c("morphology", "string", "morphology of the grade table where known"),
        _c("status", "string", "'measured', or why not"),
        _c("ha", "float64", "anterior height", "mm"), _c("hm", "float64", "middle height", "mm"),
        _c("hp", "float64", "posterior height", "mm"),
        _c("apr", "float64", "ha / hp"), _c("mpr", "float64", "hm / hp"), _c("mar", "float64", "hm / ha"),
        *(_c(f"expected_h{p}", "float64", f"expected {name} height of the Genant reading", "mm")
          for p, name in zip("amp", ("anterior", "middle", "posterior"), strict=True)),
        _c("expected_source", "string", "'own' (largest own height) or 'neighbours' (nearest unfractured neighbours' "
                                        "heights scaled by level); empty when unmeasured"),
        _c("genant_grade", "float64", "Genant grade from the largest loss against the expected heights (NaN unmeasured)"),
        _c("genant_morphology", "string", "wedge / biconcave / crush / normal from the same reading"),
        _c("genant_loss", "float64", "the largest relative height loss, 1 - h / expected"),
        *(_c(f"{e}_{p}_{a}", "float64", f"{'superior' if e == 'sup' else 'inferior'} endplate point, "
                                        f"{dict(a='anterior', m='middle', p='posterior')[p]}, world {a} (RAS)", "mm")
          for e in ("sup", "inf") for p in "amp" for a in "xyz"),
        _c("true_ha", "float64", "generator's anterior height (synthetic; NaN otherwise)", "mm"),
        _c("true_hm", "float64", "generator's middle height", "mm"), _c("true_hp", "float64", "generator's posterior height", "mm"),
        _c("point_error_mm", "float64", "mean distance of the six points to the generator's points", "mm"),
    ),
)

KEYPOINT_HISTORY = TableSchema(
    "keypoint_history", "results/morphometry/keypoints/<arm>/fold<k>/history.parquet",
    "One row per training epoch of the keypoint model of a fold and ablation arm.",
    (_c("epoch", "int64", "epoch index from 0"), _c("train_loss", "float64", "mean training loss (XVFA eq. 8)"),
     _c("val_loss", "float64", "validation loss (early stopping, lower is better)"),
     _c("val_point_error_mm", "float64", "mean distance of the predicted points to the targets", "mm"),
     _c("best", "bool", "the epoch improved the validation loss (its weights are kept)")),
)

KEYPOINT_PREDICTIONS = TableSchema(
    "keypoint_predictions", "results/morphometry/keypoints/<arm>/fold<k>/predictions.parquet",
    "One row per scored vertebra, fold model and arm: grade probabilities, the GSQ reading and keypoint errors "
    "(results/morphometry/keypoints/predictions.parquet stacks every fold and arm).",
    (_c("subject", "string", "subject ID"), _c("label", "int64", "VerSe label"), _c("level", "string", "level name"),
     _c("grade", "int64", "Genant grade of the grade table (-1 unknown)"), _c("morphology", "string", "its morphology"),
     _c("fold", "int64", "fold model"), _c("arm", "string", "ablation arm (config keypoints.arms)"),
     _c("split", "string", "'val' or 'test' ('predict' in a predict run: results/predict/morphometry/keypoints/)"),
     _c("p_fracture", "float64", "probability of grade >= 1 (the arm's combination of keypoint and image branches)"),
     _c("p_moderate", "float64", "probability of grade >= 2"),
     _c("predicted_grade", "int64", "most probable grade"), _c("predicted_morphology", "string", "most probable morphology"),
     _c("point_error_mm", "float64", "mean distance of the six predicted points to the mask-derived points", "mm"),
     _c("true_point_error_mm", "float64", "mean distance of the six predicted points to the generator's points "
                                          "(synthetic cohort; NaN without ground truth)", "mm"),
     _c("interval_mm", "float64", "mean half-width of the keypoints' quantile intervals at keypoints.interval", "mm"),
     _c("ha", "float64", "anterior height from the predicted points", "mm"),
     _c("hm", "float64", "middle height from the predicted points", "mm"),
     _c("hp", "float64", "posterior height from the predicted points", "mm"),
     *(_c(f"expected_h{p}", "float64", f"expected {name} height of the fuzzy Genant reading, from the predicted heights "
                                       "(own largest, or the nearest unfractured neighbours' scaled by level)", "mm")
       for p, name in zip("amp", ("anterior", "middle", "posterior"), strict=True)),
     _c("expected_source", "string", "'own' or 'neighbours' (spinexai.genant.expected_heights on the predicted heights)"))
    + tuple(_c(f"interval_{e}_{q}_mm", "float64", f"half-width of the {'superior' if e == 'sup' else 'inferior'} "
                                                 f"{dict(a='anterior', m='middle', p='posterior')[q]} point's quantile "
                                                 "interval (larger of its two coordinates)", "mm")
            for e in ("sup", "inf") for q in "amp"),
)

_SAMPLED = tuple(_c(f"sampled_{m}_{s}", "float64", f"{'mean' if s == 'mean' else 'SD'} of {m} over keypoint draws from the flow")
                 for m in ("auc", "f1", "sensitivity", "specificity") for s in ("mean", "std"))

KEYPOINT_METRICS = TableSchema(
    "keypoint_metrics", "results/morphometry/keypoints/<arm>/fold<k>/metrics.parquet",
    "Vertebra-level metrics of one fold and arm per task (fracture: G0 vs G1-3; moderate: G0-1 vs G2-3) at the "
    "Youden point, from the mean keypoints and over sampled keypoints "
    "(results/morphometry/keypoints/metrics_by_fold.parquet stacks them).",
    (_c("fold", "int64", "fold model"), _c("arm", "string", "ablation arm"), _c("split", "string", "'val' or 'test'"),
     _c("task", "string", "'fracture' or 'moderate'"), _c("auc", "float64", "area under the ROC curve"),
     _c("threshold", "float64", "Youden-optimal threshold"), _c("f1", "float64", "F1 at that threshold"),
     _c("sensitivity", "float64", "at that threshold"), _c("specificity", "float64", "at that threshold"),
     _c("n", "int64", "graded vertebrae"), _c("n_positive", "int64", "positives among them"),
     _c("point_error_mm", "float64", "mean keypoint error on the split", "mm")) + _SAMPLED,
)

KEYPOINT_TABLE = TableSchema(
    "keypoint_table", "results/morphometry/keypoints/table.parquet",
    "The XVFA table analogue: per arm, task and split, each metric's mean and SD over folds.",
    (_c("arm", "string", "ablation arm"), _c("split", "string", "'val' or 'test'"), _c("task", "string", "fracture or moderate"),
     _c("metric", "string", "auc, f1, sensitivity, specificity, point_error_mm, sampled_auc_mean, ..."),
     _c("mean", "float64", "mean over folds"), _c("std", "float64", "sample SD over folds"),
     _c("n_folds", "int64", "folds where the metric is defined")),
)

MORPHOLOGY_CONFUSION = TableSchema(
    "morphology_confusion", "results/morphometry/keypoints/morphology_confusion.parquet",
    "Morphology confusion on the test split, pooled over fold models, per arm (long format).",
    (_c("arm", "string", "ablation arm"), _c("true", "string", "morphology of the grade table"),
     _c("predicted", "string", "predicted morphology"), _c("count", "int64", "vertebra x fold-model pairs")),
)

_CASE_KEYS = (_c("subject", "string", "subject ID"), _c("label", "int64", "VerSe label"),
              _c("level", "string", "level name"), _c("grade", "int64", "Genant grade (-1 unknown)"),
              _c("fracture", "bool", "ground truth"))

CASES = TableSchema(
    "cases", "results/cases.parquet",
    "Vertebrae explained case by case (dissection and the report): the config's list plus, per fold, the most "
    "confident true positives, false positives and false negatives of the fold model on its scored split.",
    (_c("fold", "int64", "the fold model that explains the case"),) + _CASE_KEYS + (
        _c("split", "string", "'val' or 'test': the split on which the fold model scored the case"),
        _c("probability", "float64", "the fold model's fracture probability"),
        _c("prediction", "bool", "probability >= classifier3d.threshold"),
        _c("outcome", "string", "TP, FP, FN or TN"),
        _c("reason", "string", "'listed' (config cases.list) or 'auto' (the per-fold choice)"),
    ),
)

DISSECTION_THRESHOLDS = TableSchema(
    "dissection_thresholds", "results/dissection/fold<k>/thresholds.parquet",
    "Per-unit activation threshold T_k with P(a_k > T_k) = dissection.quantile over every voxel of every sample "
    "of the dissection set (exact, numpy's linear quantile).",
    (_c("unit", "int64", "channel of the encoder's last block"), _c("threshold", "float64", "T_k"),
     _c("quantile", "float64", "upper tail probability q"), _c("n_values", "int64", "activations per unit (samples x voxels)")),
)

DISSECTION_RESPONSES = TableSchema(
    "dissection_responses", "results/dissection/fold<k>/responses.parquet",
    "One row per sample of the dissection set and unit: whether the unit is enabled, its relevance and peak.",
    _CASE_KEYS + (
        _c("probability", "float64", "fracture probability of the fold model"),
        _c("prediction", "bool", "probability >= classifier3d.threshold"),
        _c("unit", "int64", "unit"), _c("enabled", "bool", "some voxel of the unit's map exceeds T_k"),
        _c("relevance", "float64", "r_k = sum over voxels of M_k * A_k"),
        _c("peak", "float64", "maximum activation of the unit on the sample"),
    ),
)

_CONCEPT_BEST = (
    _c("best_concept", "string", "concept of highest IoU (candidate label; empty without concept masks)"),
    _c("best_iou", "float64", "its dataset-level IoU"),
)

UNIT_RANKING = TableSchema(
    "unit_ranking", "results/dissection/fold<k>/unit_ranking.parquet",
    "Every unit with its firing rate c_k over true positives (the paper), ground-truth positives, false positives "
    "and negatives, the positive-minus-negative contrast, the rank under each, and its concept label.",
    (_c("unit", "int64", "unit"), _c("threshold", "float64", "T_k"),
     _c("c_tp", "float64", "fraction of true-positive predictions enabling the unit (NaN without any)"),
     _c("c_positive", "float64", "fraction of ground-truth positives enabling the unit"),
     _c("c_false_positive", "float64", "fraction of false positives enabling the unit (NaN without any)"),
     _c("c_negative", "float64", "fraction of ground-truth negatives enabling the unit"),
     _c("contrast", "float64", "c_positive - c_negative"),
     _c("rank_tp", "int64", "rank by c_tp (1 = highest)"), _c("rank_positive", "int64", "rank by c_positive"),
     _c("rank_false_positive", "int64", "rank by c_false_positive"), _c("rank_contrast", "int64", "rank by contrast"))
    + _CONCEPT_BEST + (_c("fracture_iou", "float64", "IoU with the ground-truth fracture region (NaN without one)"),),
)

TOP_UNITS = TableSchema(
    "top_units", "results/dissection/fold<k>/top_units.parquet",
    "The top units of each ranking (dissection.top_units per ranking).",
    (_c("ranking", "string", "tp, positive, false_positive or contrast"), _c("rank", "int64", "1 = highest"),
     _c("unit", "int64", "unit"), _c("value", "float64", "the ranking's score (c_k or contrast)"))
    + _CONCEPT_BEST + (_c("fracture_iou", "float64", "IoU with the ground-truth fracture region"),),
)

UNIT_CONCEPTS = TableSchema(
    "unit_concepts", "results/dissection/fold<k>/concepts.parquet",
    "IoU of each unit's above-threshold region (activation upsampled to the input grid) with each anatomical "
    "concept, summed over the samples where the concept can be derived.",
    (_c("unit", "int64", "unit"), _c("concept", "string", "vertebral_body, superior_endplate, inferior_endplate, discs, "
                                                              "adjacent_vertebrae, posterior_elements, fracture"),
     _c("iou", "float64", "sum of intersections / sum of unions"), _c("intersection", "float64", "voxels", "voxels"),
     _c("union", "float64", "voxels", "voxels"), _c("n_samples", "int64", "samples where the concept exists")),
)

FRACTURE_OVERLAP = TableSchema(
    "fracture_overlap", "results/dissection/fold<k>/fracture_overlap.parquet",
    "Do a ranking's top units overlap the ground-truth fracture region more than random units? (synthetic data)",
    (_c("ranking", "string", "tp, positive, false_positive or contrast"), _c("n_units", "int64", "top units tested"),
     _c("mean_iou", "float64", "mean fracture IoU of the top units"),
     _c("null_mean_iou", "float64", "mean over random unit sets of the same size"),
     _c("p_value", "float64", "one-sided permutation p-value ((1 + #null >= observed) / (1 + permutations))"),
     _c("n_above_median", "int64", "top units whose fracture IoU exceeds the median unit's"),
     _c("n_above_p95", "int64", "top units whose fracture IoU exceeds the 95th percentile of all units")),
)

UNIT_EXPORTS = TableSchema(
    "unit_exports", "results/dissection/fold<k>/units/exports.parquet",
    "Files exported per top unit: the collage and, per top sample, all slices and NIfTI volumes on the "
    "classifier's input grid with the patch's real affine (they overlay the source CT).",
    (_c("unit", "int64", "unit"), _c("rank", "int64", "rank in the exported ranking"),
     _c("sample_rank", "int64", "0 for the collage row, 1.. for the top samples"),
     _c("subject", "string", "subject (empty for the collage)"), _c("label", "int64", "VerSe label (-1 for the collage)"),
     _c("slice", "int64", "sagittal slice shown (-1 for the collage)"), _c("kind", "string", "collage, slices, ct, activation, mask"),
     _c("file", "string", "path relative to the units folder")),
)

DISSECTION_TOP_UNITS = TableSchema(
    "dissection_top_units", "results/dissection/top_units.parquet",
    "Every fold's top_units table stacked, with the fold.",
    (_c("fold", "int64", "fold model"),) + TOP_UNITS.columns,
)

DISSECTION_OVERLAP = TableSchema(
    "dissection_fracture_overlap", "results/dissection/fracture_overlap.parquet",
    "Every fold's fracture_overlap table stacked, with the fold (empty without ground-truth fracture regions).",
    (_c("fold", "int64", "fold model"),) + FRACTURE_OVERLAP.columns,
)

CASE_RELEVANCE = TableSchema(
    "case_relevance", "results/dissection/fold<k>/cases/sub-<id>_vert-<label>/relevance.parquet",
    "Single inference: every unit's relevance r_k for one case, ranked, with its dataset-level standing.",
    (_c("unit", "int64", "unit"), _c("relevance", "float64", "r_k on the case"), _c("rank", "int64", "1 = most relevant"),
     _c("enabled", "bool", "the unit is enabled on the case"), _c("rank_tp", "int64", "the unit's rank by c_tp in the fold"))
    + _CONCEPT_BEST,
)

CASE_OVERLAYS = TableSchema(
    "case_overlays", "results/cases/fold<k>/sub-<id>_vert-<label>/overlays.parquet",
    "A case's 2D explanation maps written onto the source CT's voxel grid (NIfTI beside this table, the CT's "
    "shape and affine), one row per method; a method without a map says why.",
    (_c("subject", "string", "subject ID"), _c("label", "int64", "vertebra label"), _c("fold", "int64", "fold"),
     _c("method", "string", "prototype1, counterfactual, gradcam, saliency"),
     _c("file", "string", "NIfTI file name in this folder (empty: no map)"),
     _c("source_grid", "string", "the map's own grid (rows x columns) before it was put on the sheet"),
     _c("description", "string", "what the map shows"), _c("note", "string", "why there is no map")),
)

SCHEMAS = {s.name: s for s in (MANIFEST, EXCLUDED, SPLINE, SAG_SHEET, PATCHES, FOLDS, CLASSIFIER_HISTORY,
                               CLASSIFIER_PREDICTIONS, CLASSIFIER_METRICS, CLASSIFIER_SUMMARY, MORPHOMETRY, CASES,
                               DISSECTION_THRESHOLDS, DISSECTION_RESPONSES, UNIT_RANKING, TOP_UNITS,
                               UNIT_CONCEPTS, FRACTURE_OVERLAP, UNIT_EXPORTS, DISSECTION_TOP_UNITS,
                               DISSECTION_OVERLAP, CASE_RELEVANCE, CASE_OVERLAYS, KEYPOINT_HISTORY, KEYPOINT_PREDICTIONS,
                               KEYPOINT_METRICS, KEYPOINT_TABLE, MORPHOLOGY_CONFUSION)}


# -- ProtoVerse (results/prototypes) ---------------------------------------------------------------------

_ARM = (_c("fold", "int64", "cross-validation fold whose model produced the row"),
        _c("arm", "string", "config prototypes.arms entry (protoverse, protopnet, baseline, ablations)"))
_ARM_SETTINGS = (
    _c("model", "string", "'protoverse' (prototype layer) or 'baseline' (backbone + linear head)"),
    _c("per_class", "int64", "prototypes per class (0 for the baseline)"),
    _c("diversity", "float64", "diversity-loss weight (0: ProtoPNet)"),
    _c("class_weighting", "string", "cross-entropy class weighting: none, inverse, inverse_sqrt, median, median_printed"),
)
_PROTO_METRICS = (
    _c("class_accuracy", "float64", "class-average accuracy (mean per-class recall)"),
    _c("class_f1", "float64", "class-average F1 (macro over the grades present)"),
    _c("sample_accuracy", "float64", "fraction of vertebrae graded correctly"),
)
_CASE = (_c("subject", "string", "subject ID"), _c("label", "int64", "VerSe label"),
         _c("split", "string", "'val' (the fold's own subjects) or 'test' (held-out); 'predict' in a predict run "
                               "(results/predict/prototypes/)"))

PROTO_HISTORY = TableSchema(
    "prototype_history", "results/prototypes/<arm>/fold<k>/history.parquet",
    "One row per epoch of every training stage (warm, joint<c>, last<c>; 'baseline' for the baseline).",
    (_c("stage", "string", "schedule stage"), _c("epoch", "int64", "epoch within the stage"),
     _c("train_loss", "float64", "mean training loss of the epoch"),
     _c("val_class_f1", "float64", "validation class-average F1"),
     _c("val_class_accuracy", "float64", "validation class-average accuracy"),
     _c("val_sample_accuracy", "float64", "validation sample accuracy"),
     _c("val_loss", "float64", "validation class-weighted cross-entropy"),
     _c("best", "bool", "best validation class-average F1 of the stage so far")),
)

PROTO_PREDICTIONS = TableSchema(
    "prototype_predictions", "results/prototypes/<arm>/fold<k>/predictions.parquet",
    "Grade probabilities of every validation and test vertebra of the graded classes.",
    _CASE[:2] + (_c("level", "string", "level name"), _c("grade", "int64", "true Genant grade"),
                 _c("target", "int64", "class index of the true grade in prototypes.grades"))
    + tuple(_c(f"p_grade{g}", "float64", f"probability of Genant grade {g} (NaN when G{g} is not a class)") for g in range(4))
    + (_c("predicted_grade", "int64", "grade with the highest probability"),) + _ARM + (_CASE[2],),
)

PROTO_METRICS = TableSchema(
    "prototype_metrics", "results/prototypes/<arm>/fold<k>/metrics.parquet",
    "Grading metrics of one fold and arm on its validation subjects and on the held-out test set.",
    _ARM + (_CASE[2],) + _ARM_SETTINGS + _PROTO_METRICS + (_c("n", "int64", "vertebrae scored"),),
)

PROTO_PROJECTION = TableSchema(
    "prototype_projection", "results/prototypes/<arm>/fold<k>/projection.parquet",
    "Each prototype's nearest latent patch among the training images of its own class (what it was "
    "projected onto), and the box enclosing the top 2% of its upsampled similarity map.",
    (_c("prototype", "int64", "prototype index"), _c("prototype_grade", "int64", "Genant grade the prototype belongs to"),
     _c("subject", "string", "source subject"), _c("label", "int64", "source vertebra label"),
     _c("level", "string", "source level"), _c("latent_row", "int64", "row of the latent patch"),
     _c("latent_col", "int64", "column of the latent patch"),
     _c("distance", "float64", "squared L2 distance prototype-patch (0 after projection)"),
     _c("box_row0", "int64", "box first row", "input px"), _c("box_row1", "int64", "box end row (exclusive)", "input px"),
     _c("box_col0", "int64", "box first column", "input px"), _c("box_col1", "int64", "box end column (exclusive)", "input px"),
     _c("image_index", "int64", "index into similarity.npz's projection_images")) + _ARM,
)

PROTO_TOP = TableSchema(
    "prototype_top3", "results/prototypes/<arm>/fold<k>/top3.parquet",
    "Per validation and test vertebra, the three prototypes most similar to it.",
    _CASE + (_c("rank", "int64", "1-3 by similarity"), _c("prototype", "int64", "prototype index"),
             _c("prototype_grade", "int64", "grade of the prototype"), _c("similarity", "float64", "log similarity (max over positions)"),
             _c("contribution", "float64", "similarity x connection to the predicted grade's logit"),
             _c("peak_row", "int64", "row of the upsampled heatmap's maximum", "input px"),
             _c("peak_col", "int64", "column of the heatmap's maximum", "input px"),
             _c("peak_in_fracture", "float64", "1 if the peak lies in the ground-truth fracture region, 0 if not, NaN without one"),
             _c("peak_in_body", "float64", "1 if the peak lies in the vertebra's own body mask, 0 if not, NaN without one"))
    + _ARM,
)

PROTO_CONTRIBUTIONS = TableSchema(
    "prototype_contributions", "results/prototypes/<arm>/fold<k>/contributions.parquet",
    "Per vertebra and prototype grade, the summed similarity x connection to the logit of the vertebra's true grade.",
    _CASE + (_c("grade", "int64", "true grade"), _c("prototype_grade", "int64", "grade of the prototypes summed"),
             _c("contribution", "float64", "sum of similarity x last-layer weight")) + _ARM,
)

PROTO_COSINE = TableSchema(
    "prototype_cosine", "results/prototypes/<arm>/fold<k>/cosine.parquet",
    "Cosine similarity of every pair of prototype vectors.",
    (_c("prototype_a", "int64", "first prototype"), _c("prototype_b", "int64", "second prototype"),
     _c("grade_a", "int64", "grade of the first"), _c("grade_b", "int64", "grade of the second"),
     _c("cosine", "float64", "cosine similarity")) + _ARM,
)

PROTO_LOCALISATION = TableSchema(
    "prototype_localisation", "results/prototypes/<arm>/fold<k>/localisation.parquet",
    "Where each explanation of a G2/G3 vertebra with a ground-truth fracture region peaks (prototype1-3: "
    "the top-3 prototypes' heatmaps; gradcam, gradcam++, xgradcam: the baseline's maps for the true grade).",
    _CASE + (_c("method", "string", "explanation"), _c("peak_row", "int64", "peak row", "input px"),
             _c("peak_col", "int64", "peak column", "input px"),
             _c("hit", "bool", "the peak pixel touches the ground-truth fracture region"),
             _c("in_body", "bool", "the peak pixel touches the vertebra's own body mask")) + _ARM,
)

PROTO_TABLES = TableSchema(
    "prototype_tables", "results/prototypes/tables.parquet",
    "Mean and SD over folds, shaped like the paper's Tables 1 (test), 2 (cross-validation), 5 (prototypes per "
    "class), 6 (diversity weight) and Figure 7 (class weighting); ablation rows are arms differing from the main "
    "arm in that one setting.",
    (_c("paper_table", "string", "which table of the paper the row belongs to"),
     _c("varied", "string", "the setting compared"), _c("value", "string", "its value in this row"),
     _c("arm", "string", "arm"), _c("split", "string", "val (cross-validation) or test"))
    + _ARM_SETTINGS + tuple(_c(f"{c.name}_{s}", "float64", f"{s} over folds of {c.description}")
                            for c in _PROTO_METRICS for s in ("mean", "std"))
    + (_c("folds", "int64", "folds averaged"),),
)

PROTO_WILCOXON = TableSchema(
    "prototype_wilcoxon", "results/prototypes/wilcoxon.parquet",
    "Paired Wilcoxon signed-rank tests over folds of the main arm against every other arm (scipy, exact).",
    (_c("split", "string", "val or test"), _c("arm", "string", "main arm"), _c("other", "string", "arm compared"),
     _c("metric", "string", "class_accuracy, class_f1 or sample_accuracy"), _c("folds", "int64", "paired folds"),
     _c("mean_difference", "float64", "mean of main - other"),
     _c("p_two_sided", "float64", "two-sided p (min 0.0625 with 5 folds); NaN when all differences are 0"),
     _c("p_one_sided", "float64", "one-sided p for 'main is better'")),
)

PROTO_CONTRIBUTION_MATRIX = TableSchema(
    "prototype_contribution_matrix", "results/prototypes/contribution_matrix.parquet",
    "Table 3: mean contribution of each prototype grade to the logit of the test vertebra's own grade.",
    (_c("arm", "string", "arm"), _c("grade", "int64", "test vertebra grade"), _c("prototype_grade", "int64", "prototype grade"),
     _c("contribution_mean", "float64", "mean over folds of the per-fold mean"),
     _c("contribution_std", "float64", "SD over folds"), _c("folds", "int64", "folds")),
)

PROTO_COSINE_SUMMARY = TableSchema(
    "prototype_cosine_summary", "results/prototypes/cosine_summary.parquet",
    "Figure 3 in numbers: mean cosine of distinct same-grade prototype pairs and of different-grade pairs.",
    (_c("arm", "string", "arm"), _c("fold", "int64", "fold"),
     _c("intra_class_cosine", "float64", "mean cosine of distinct same-grade pairs"),
     _c("inter_class_cosine", "float64", "mean cosine of different-grade pairs")),
)

PROTO_LOCALISATION_SUMMARY = TableSchema(
    "prototype_localisation_summary", "results/prototypes/localisation.parquet",
    "How often explanation peaks fall inside the ground-truth fracture region of G2/G3 test vertebrae (synthetic data).",
    (_c("arm", "string", "arm"), _c("method", "string", "top-3 prototypes (every peak), top-3 prototypes 2 of 3, or a CAM"),
     _c("hit_rate", "float64", "fraction of peaks (or cases) inside the region"),
     _c("body_rate", "float64", "fraction of peaks inside the vertebra's own body mask (NaN for the 2-of-3 row)"),
     _c("cases", "int64", "vertebrae x folds scored"), _c("folds", "int64", "folds")),
)

READER_SCORES = TableSchema(
    "reader_scores", "results/prototypes/reader_scores.parquet",
    "Table 4 analogue from filled reader forms: fraction of cases with at least 2 of 3 prototypes marked 'yes'.",
    (_c("rater", "string", "form file name"), _c("question", "string", "relevant or similar"),
     _c("grade", "string", "G2, G3 or total"), _c("fraction_yes", "float64", "fraction of answered cases with 2 of 3 yes"),
     _c("cases", "int64", "answered cases"), _c("unanswered", "int64", "cases with a blank answer")),
)

SCHEMAS.update({s.name: s for s in (PROTO_HISTORY, PROTO_PREDICTIONS, PROTO_METRICS, PROTO_PROJECTION, PROTO_TOP,
                                    PROTO_CONTRIBUTIONS, PROTO_COSINE, PROTO_LOCALISATION, PROTO_TABLES, PROTO_WILCOXON,
                                    PROTO_CONTRIBUTION_MATRIX, PROTO_COSINE_SUMMARY, PROTO_LOCALISATION_SUMMARY,
                                    READER_SCORES)})


def conform(df: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    """Return ``df`` with exactly the schema's columns, in order, cast to its types."""
    missing = [c for c in schema.names if c not in df.columns]
    if missing:
        raise ValueError(f"table '{schema.name}' lacks columns {missing}")
    out = df[schema.names].copy()
    for col in schema.columns:
        try:
            if col.dtype == "string":
                out[col.name] = out[col.name].fillna("").astype(str)
            elif col.dtype == "bool":
                out[col.name] = out[col.name].astype(bool)
            else:
                out[col.name] = out[col.name].astype(col.dtype)
        except (ValueError, TypeError) as err:
            raise ValueError(f"table '{schema.name}', column '{col.name}': cannot be {col.dtype} ({err})") from None
    return out.reset_index(drop=True)


def empty_frame(schema: TableSchema) -> pd.DataFrame:
    """A zero-row frame with the schema's columns, in order, and its types."""
    return conform(pd.DataFrame(columns=schema.names), schema)


def concat_rows(frames: Iterable[pd.DataFrame], schema: TableSchema) -> pd.DataFrame:
    """Stack ``frames`` (each with the schema's columns) into one conformed table.

    Empty frames are skipped, and when every frame is empty the result has zero rows and the schema's
    columns (never NaN rows: assigning a Series to an empty frame would adopt that Series' index).
    """
    parts = [f[schema.names] for f in frames if len(f)]
    return conform(pd.concat(parts, ignore_index=True), schema) if parts else empty_frame(schema)


def write_table(df: pd.DataFrame, path: str | os.PathLike, schema: TableSchema) -> None:
    """Validate ``df`` against ``schema`` and write it as Parquet atomically."""
    try:
        table = pa.Table.from_pandas(conform(df, schema), schema=schema.arrow(), preserve_index=False)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def read_table(path: str | os.PathLike, schema: TableSchema) -> pd.DataFrame:
    """Read a Parquet table and check that it has the schema's columns."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, None, f"table '{schema.name}' not found")
    df = pd.read_parquet(path)
    missing = [c for c in schema.names if c not in df.columns]
    if missing:
        raise InputError(path, missing[0], f"missing column(s) {missing} of table '{schema.name}' (written by an "
                                           "older spinexai? rerun the rule that writes it: snakemake --forcerun <rule>)")
    return df


def schemas_markdown() -> str:
    lines = ["# Output tables", "", "Generated by `python -m spinexai.io.tables`; do not edit by hand.", ""]
    for schema in SCHEMAS.values():
        lines += [f"## `{schema.name}`: `{schema.path}`", "", schema.description, "",
                  "| column | type | unit | meaning |", "|---|---|---|---|"]
        lines += [f"| `{c.name}` | {c.dtype} | {c.unit} | {c.description} |" for c in schema.columns]
        lines.append("")
    return "\n".join(lines)




# -- counterfactual impact analysis (Lenis et al. 2020) ------------------------------------------------

_CF = "results/counterfactual"
_FOLD = (_c("fold", "int64", "cross-validation fold whose networks produced the row"),)
_CF_CASE = (_c("subject", "string", "subject ID"), _c("label", "int64", "VerSe label"),
            _c("level", "string", "level name"), _c("grade", "int64", "Genant grade"),
            _c("split", "string", "'val' (the fold's own subjects) or 'test' (held-out)"))

CF_INPAINTER_HISTORY = TableSchema(
    "inpainter_history", f"{_CF}/fold<k>/inpainter_history.parquet",
    "One row per epoch of the inpainter's two phases (phase2: encoder batch norm frozen).",
    (_c("stage", "string", "phase1 or phase2"), _c("epoch", "int64", "epoch within the phase"),
     _c("train_loss", "float64", "mean Liu et al. loss of the epoch"),
     _c("val_hole_l1", "float64", "validation healthy vertebrae: mean |output - image| inside the fixed holes",
        "CT in [0, 1]"),
     _c("best", "bool", "best validation hole L1 of the phase so far")) + _FOLD,
)

CF_DOMAIN = TableSchema(
    "inpainter_domain", f"{_CF}/fold<k>/domain.parquet",
    "The inpainter domain test: the 2D classifier's AUC (fracture vs healthy) on the originals, with random "
    "blob masks inpainted outside the fracture region (one row per repetition) and with the ground-truth "
    "fracture region (dilated by 1 px) inpainted.",
    (_c("condition", "string", "original, healthy_tissue or fracture_region"),
     _c("repetition", "int64", "draw of the random masks (0 for the other conditions)"),
     _c("auc", "float64", "ROC AUC of p(fracture)"), _c("n", "int64", "vertebrae"),
     _c("n_positive", "int64", "fractured vertebrae (grade >= data.fracture_min_grade)"),
     _c("mean_p_fractured", "float64", "mean p(fracture) of the fractured vertebrae"),
     _c("mean_p_healthy", "float64", "mean p(fracture) of the healthy vertebrae"),
     _c("split", "string", "evaluated split (test; val without a test set)")) + _FOLD,
)

CF_ROC = TableSchema(
    "inpainter_roc", f"{_CF}/fold<k>/roc.parquet", "ROC points of every domain-test condition and repetition.",
    (_c("condition", "string", "as in inpainter_domain"), _c("repetition", "int64", "draw"),
     _c("fpr", "float64", "1 - specificity"), _c("tpr", "float64", "sensitivity"),
     _c("split", "string", "evaluated split")) + _FOLD,
)

CF_QUALITY = TableSchema(
    "inpainter_quality", f"{_CF}/fold<k>/quality.parquet",
    "Reconstruction of healthy vertebrae under the domain test's random masks.",
    (_c("repetition", "int64", "draw"), _c("hole_l1", "float64", "mean |inpainted - original| in the holes",
                                          "CT in [0, 1]"),
     _c("hole_fraction", "float64", "mean share of the image masked"), _c("split", "string", "evaluated split")) + _FOLD,
)

CF_ATTRIBUTION_HISTORY = TableSchema(
    "attribution_history", f"{_CF}/fold<k>/attribution_history.parquet",
    "One row per epoch of the attribution network's training.",
    (_c("epoch", "int64", "epoch"), _c("train_loss", "float64", "mean objective"),
     _c("val_total", "float64", "validation objective"),
     _c("val_p_fracture", "float64", "validation mean p(fracture) of the counterfactuals"),
     _c("val_area", "float64", "validation mean area penalty"), _c("best", "bool", "best validation objective so far"))
    + _FOLD,
)

CF_LOCALISATION = TableSchema(
    "attribution_localisation", f"{_CF}/fold<k>/localisation.parquet",
    "Per fractured vertebra and method: the binary map against the target region (the ground-truth fracture "
    "region where there is one, else the vertebral body). Ours: the network's map > threshold; gradcam_pQ / "
    "saliency_pQ: the map >= its Q-th percentile inside the body.",
    _CF_CASE + (_c("method", "string", "ours, gradcam_p50, ..., saliency_p90"),
                _c("target", "string", "fracture (ground-truth region) or body (vertebral body)"),
                _c("hausdorff_mm", "float64", "symmetric Hausdorff distance (NaN: empty map)", "mm"),
                _c("weak_localisation", "float64", "share of target boxes matched at box IoU >= counterfactual.box_iou"),
                _c("area_ratio", "float64", "map area / vertebral-body area"),
                _c("empty", "bool", "the binary map has no pixel")) + _FOLD,
)

CF_SANITY = TableSchema(
    "attribution_sanity", f"{_CF}/fold<k>/sanity.parquet",
    "Model-randomisation check (Adebayo et al. 2018): Spearman correlation of each fractured vertebra's map "
    "before and after re-initialising the classifier encoder's weights.",
    _CF_CASE + (_c("method", "string", "ours, gradcam or saliency"),
                _c("spearman", "float64", "rank correlation (NaN: a constant map)")) + _FOLD,
)

CF_TIMING = TableSchema(
    "attribution_timing", f"{_CF}/fold<k>/timing.parquet",
    "Maps per second on the job's device, best of counterfactual.timing_repeats runs over the split's images "
    "(the iterative baseline: one batch).",
    (_c("method", "string", "ours, gradcam, saliency, iterative_<steps>_steps"), _c("maps", "int64", "maps computed"),
     _c("seconds", "float64", "wall time", "s"), _c("maps_per_second", "float64", "throughput", "1/s"),
     _c("device", "string", "GPU name or cpu"), _c("batch_size", "int64", "batch size"),
     _c("split", "string", "images timed")) + _FOLD,
)

CF_EFFECTS = TableSchema(
    "attribution_effects", f"{_CF}/fold<k>/effects.parquet",
    "p(fracture) of every validation and test vertebra before and after deleting its map (the counterfactual).",
    _CF_CASE + (_c("p_original", "float64", "p(fracture) of the image"),
                _c("p_counterfactual", "float64", "p(fracture) of the counterfactual"),
                _c("map_area", "float64", "share of the image in the binary map"),
                _c("below_threshold", "bool", "counterfactual p(fracture) < counterfactual.fracture_threshold"))
    + _FOLD,
)

CF_DOMAIN_SUMMARY = TableSchema(
    "inpainter_domain_summary", f"{_CF}/domain_summary.parquet",
    "Domain test over folds and repetitions (paper Fig. 1c).",
    (_c("condition", "string", "original, healthy_tissue, fracture_region"), _c("auc_mean", "float64", "mean AUC"),
     _c("auc_sd", "float64", "SD of the AUC"), _c("auc_change_mean", "float64", "mean AUC change from the originals"),
     _c("auc_change_max_abs", "float64", "largest |AUC change| of any fold and repetition"),
     _c("mean_p_fractured", "float64", "mean p(fracture) of fractured vertebrae"),
     _c("mean_p_healthy", "float64", "mean p(fracture) of healthy vertebrae"), _c("runs", "int64", "fold x repetition runs")),
)

CF_LOCALISATION_SUMMARY = TableSchema(
    "attribution_table1", f"{_CF}/table1.parquet",
    "Paper Table 1: per split, target and method, mean and SD of the Hausdorff distance, weak localisation and "
    "area ratio over the fractured vertebrae of the evaluated folds.",
    (_c("split", "string", "val or test"), _c("target", "string", "fracture or body"), _c("method", "string", "method"),
     _c("cases", "int64", "vertebrae"), _c("empty_fraction", "float64", "share of empty maps"),
     _c("hausdorff_mm_mean", "float64", "mean Hausdorff distance over non-empty maps", "mm"),
     _c("weak_localisation_mean", "float64", "mean weak localisation"), _c("area_ratio_mean", "float64", "mean area ratio"),
     _c("hausdorff_mm_sd", "float64", "SD", "mm"), _c("weak_localisation_sd", "float64", "SD"),
     _c("area_ratio_sd", "float64", "SD")),
)

CF_WILCOXON = TableSchema(
    "attribution_wilcoxon", f"{_CF}/wilcoxon.parquet",
    "Paired two-sided Wilcoxon signed-rank tests of our maps against each baseline and percentile, per metric.",
    (_c("split", "string", "val or test"), _c("target", "string", "fracture or body"),
     _c("method", "string", "the baseline"), _c("metric", "string", "hausdorff_mm, weak_localisation, area_ratio"),
     _c("pairs", "int64", "vertebrae with both values defined"), _c("ours_mean", "float64", "our mean over the pairs"),
     _c("other_mean", "float64", "the baseline's mean over the pairs"), _c("statistic", "float64", "Wilcoxon W"),
     _c("p_value", "float64", "two-sided p (NaN: no pair or no difference)")),
)

CF_SANITY_SUMMARY = TableSchema(
    "attribution_sanity_summary", f"{_CF}/sanity_summary.parquet",
    "Mean rank correlation of maps before and after weight randomisation, per method.",
    (_c("split", "string", "val or test"), _c("method", "string", "ours, gradcam, saliency"),
     _c("cases", "int64", "vertebrae"), _c("spearman_mean", "float64", "mean Spearman"),
     _c("spearman_sd", "float64", "SD")),
)

CF_EFFECT_SUMMARY = TableSchema(
    "attribution_effect_summary", f"{_CF}/effect_summary.parquet",
    "Per split and grade, p(fracture) before and after the deletion and the map area.",
    (_c("split", "string", "val or test"), _c("grade", "int64", "Genant grade"), _c("cases", "int64", "vertebrae"),
     _c("p_original_mean", "float64", "mean p(fracture)"), _c("p_counterfactual_mean", "float64", "after deletion"),
     _c("map_area_mean", "float64", "mean map area (share of the image)"),
     _c("below_threshold_fraction", "float64", "share whose counterfactual falls below the threshold")),
)

SCHEMAS.update({s.name: s for s in (CF_INPAINTER_HISTORY, CF_DOMAIN, CF_ROC, CF_QUALITY, CF_ATTRIBUTION_HISTORY,
                                    CF_LOCALISATION, CF_SANITY, CF_TIMING, CF_EFFECTS, CF_DOMAIN_SUMMARY,
                                    CF_LOCALISATION_SUMMARY, CF_WILCOXON, CF_SANITY_SUMMARY, CF_EFFECT_SUMMARY)})


# -- explanation benchmark (methods section 7) ------------------------------------------------------

_BENCH = "results/benchmark"
_BENCH_SCORE_COLUMNS = (
    _c("subject", "string", "subject ID"), _c("label", "int64", "VerSe label"), _c("level", "string", "level name"),
    _c("grade", "int64", "Genant grade (1-3)"), _c("group", "string", "'G2-G3' or 'G1' (reported apart)"),
    _c("fold", "int64", "cross-validation fold whose models made the map (held-out test vertebrae)"),
    _c("method", "string", "explanation method, or the reference maps 'centre_prior' and 'random'"),
    _c("grid", "string", "'2d' (the 2D grade models' sagittal input) or '3d' (the 3D classifier's input patch)"),
    _c("grid_size", "int64", "pixels (voxels) per edge of the grid"),
    _c("spacing_mm", "float64", "pixel (voxel) size of the grid", "mm"),
    _c("region_pixels", "int64", "|R|: pixels of the true fracture region on the grid (at least half inside)"),
    _c("pointing", "float64", "1 when the map's peak lies in R dilated by benchmark.pointing_mm, else 0"),
    _c("energy", "float64", "share of the map's positive sum inside R"),
    _c("topk_iou", "float64", "IoU of the k = |R| highest pixels (ties included) with R"),
    _c("hausdorff_mm", "float64", "symmetric Hausdorff distance of the top-k set and R", "mm"),
    _c("auc", "float64", "ROC-AUC of the map's values as a detector of R's pixels"),
    _c("empty", "bool", "the map is zero everywhere (scored 0 on pointing and energy)"),
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
    (_c("group", "string", "'G2-G3' or 'G1'"), _c("grid", "string", "'2d' or '3d'"), _c("method", "string", "method"),
     _c("metric", "string", "pointing, energy, topk_iou, hausdorff_mm or auc"),
     _c("mean", "float64", "mean over vertebrae and folds"), _c("std", "float64", "SD over vertebrae and folds"),
     _c("n", "int64", "scored (vertebra, fold) pairs"), _c("n_empty", "int64", "maps that were zero everywhere"),
     _c("vs_prior_difference", "float64", "mean paired difference, method minus centre prior"),
     _c("vs_prior_p", "float64", "two-sided Wilcoxon p against the centre prior (NaN: no non-zero difference)"),
     _c("vs_prior_pairs", "int64", "pairs in that test"),
     _c("vs_prior_test", "string", "exact (scipy's exact distribution), approx (normal approximation) or none"),
     _c("vs_gradcam_difference", "float64", "mean paired difference, method minus 2D Grad-CAM"),
     _c("vs_gradcam_p", "float64", "two-sided Wilcoxon p against Grad-CAM"),
     _c("vs_gradcam_pairs", "int64", "pairs in that test"), _c("vs_gradcam_test", "string", "exact, approx or none"),
     _c("beats_prior", "bool", "better than the centre prior in the metric's direction with p < 0.05"),
     _c("verdict", "string", "'beats the centre prior', 'does not beat the centre prior' (it does not localise by this "
                             "metric) or 'reference'")),
)

SCHEMAS.update({s.name: s for s in (BENCHMARK_FOLD, BENCHMARK_EXPLANATIONS, BENCHMARK_SUMMARY)})



# -- predict runs (results/predict): trained models on new scans --------------------------------------

PREDICTIONS = TableSchema(
    "predictions", "results/predict/predictions.parquet",
    "A predict run's verdict on every included vertebra of the new data: every fold model of the trained run "
    "(predict.models) combined. Per-fold tables in the training run's shapes (split 'predict') lie beside it "
    "under classifier3d/, prototypes/<arm>/ and morphometry/keypoints/<arm>/.",
    (_c("subject", "string", "subject ID"), _c("label", "int64", "VerSe label"), _c("level", "string", "level name"),
     _c("grade", "int64", "Genant grade of the new data's grade sheet; -1 when not graded (no sheet)"),
     _c("fracture", "bool", "grade >= data.fracture_min_grade (False when not graded)"),
     _c("folds", "int64", "3D classifier fold models that scored the vertebra"),
     _c("p_fracture", "float64", "mean p(fracture) of the 3D classifier's fold models"),
     _c("p_fracture_sd", "float64", "SD of p(fracture) over the fold models (population SD)"),
     _c("p_fracture_min", "float64", "lowest fold model's p(fracture)"),
     _c("p_fracture_max", "float64", "highest fold model's p(fracture)"),
     _c("prediction", "bool", "p_fracture >= threshold"))
    + tuple(_c(f"p_grade{g}", "float64", f"grade model's mean probability of G{g} over folds (NaN: not a class)") for g in range(4))
    + (_c("predicted_grade", "int64", "grade with the highest fold-mean probability (the grade model's classes); -1: not scored"),
       _c("kp_p_fracture", "float64", "keypoint model (XVFA): mean p(grade >= 1) over folds; NaN where not measured"),
       _c("kp_p_moderate", "float64", "keypoint model: mean p(grade >= 2)"),
       _c("kp_ha", "float64", "predicted anterior height, fold mean", "mm"),
       _c("kp_hm", "float64", "predicted middle height, fold mean", "mm"),
       _c("kp_hp", "float64", "predicted posterior height, fold mean", "mm"),
       _c("kp_interval_mm", "float64", "mean half-width of the keypoints' quantile intervals, fold mean", "mm"),
       _c("kp_point_error_mm", "float64", "mean distance of the predicted points to the mask-derived points", "mm"),
       _c("kp_predicted_grade", "int64", "Genant grade of the fuzzy GSQ reading, the fold models' vote; -1: not measured"),
       _c("kp_predicted_morphology", "string", "morphology of that reading, the fold models' vote"),
       _c("mask_genant_grade", "int64",
          "the Genant rule on the masks' own heights (results/morphometry/heights.parquet); -1: not measured"),
       _c("mask_genant_morphology", "string", "its morphology"),
       _c("top_prototypes", "string", "explained fold's top-3 prototypes: 'p<index> G<grade> (similarity)'"),
       _c("top_units", "string", "explained fold's most relevant enabled dissection units: 'u<unit> <concept>'"),
       _c("threshold", "float64", "the 3D classifier's decision threshold (its model card)"),
       _c("explain_fold", "int64", "fold whose models' explanations the case pages and NIfTI maps show (predict.explain_fold)")),
)

PREDICT_METRICS = TableSchema(
    "predict_metrics", "results/predict/metrics.parquet",
    "Every model of a predict run against the new data's grades (graded vertebrae only), and the keypoints against "
    "the mask-derived points. No rows when nothing is graded and no vertebra was measured.",
    (_c("model", "string", "classifier3d, prototypes or keypoints"),
     _c("fold", "int64", "fold model; -1 = the fold-mean verdict of predictions.parquet"),
     _c("task", "string", "fracture (grade >= data.fracture_min_grade; keypoints: >= 1), moderate (>= 2), grade "
                          "(the grade model's classes) or points"),
     _c("n", "int64", "vertebrae"), _c("n_positive", "int64", "positives of the task (grade > 0 for 'grade')"),
     _c("metric", "string", "auc, f1, sensitivity, specificity, accuracy, ap, class_f1, class_accuracy, "
                            "sample_accuracy, point_error_mm"),
     _c("value", "float64", "the metric's value (keypoints' f1, sensitivity, specificity at the Youden threshold)")),
)

SCHEMAS.update({s.name: s for s in (PREDICTIONS, PREDICT_METRICS)})

if __name__ == "__main__":
    print(schemas_markdown(), end="")
