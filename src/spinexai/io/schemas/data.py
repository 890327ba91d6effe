"""The data stage: manifest, exclusions, splines, sagittal sheets, patches, folds (results/data)."""

from __future__ import annotations

from spinexai.io.schema import TableSchema, col

_VERTEBRA_KEYS = (
    col("subject", "string", "subject ID without the 'sub-' prefix"),
    col("series", "string", "series entity ('split-...' value), empty for single-series subjects"),
    col("label", "int64", "VerSe vertebra label (1-7 C, 8-19 T, 20-25 L, 28 T13)"),
    col("level", "string", "level name, e.g. 'L1'"),
)
_GRADE = (
    col("grade", "int64", "Genant grade 0-3; -1 when not graded or graded with an unknown code"),
    col("fracture", "bool", "grade >= config data.fracture_min_grade"),
    col("morphology", "string", "normal / wedge / biconcave / crush where known, else empty"),
)
_STATUS = (
    col("status", "string", "'included' or 'excluded'"),
    col("reason", "string", "why the vertebra was excluded (empty when included)"),
)

MANIFEST = TableSchema(
    "manifest", "results/data/manifest.parquet",
    "One row per vertebra found by ingest (labelled in the mask, listed in the centroid file or graded).",
    _VERTEBRA_KEYS + _GRADE + (
        col("ct_path", "string", "CT image"),
        col("mask_path", "string", "vertebra label mask (empty if none)"),
        col("body_mask_path", "string", "vertebral-body mask used for body centres (empty if none)"),
        col("mask_convention", "string", "'verse' or 'totalsegmentator' label numbering of the mask"),
        col("mask_resampled", "bool", "the mask grid differed from the CT grid and was resampled onto it"),
        col("centroid_x", "float64", "reformatting centre, world x (RAS)", "mm"),
        col("centroid_y", "float64", "reformatting centre, world y (RAS)", "mm"),
        col("centroid_z", "float64", "reformatting centre, world z (RAS)", "mm"),
        col("centroid_source", "string", "json (file as given), mask_body (body mask), "
                                        "mask_estimate (anterior part of the vertebra mask), mask (whole-vertebra mask centre: "
                                        "the subject has no centroid file)"),
        col("truth_path", "string", "ground-truth morphometry JSON (synthetic cohort), empty for real data"),
        col("fracture_mask_path", "string", "ground-truth fracture region mask (synthetic cohort), empty otherwise"),
    ) + _STATUS,
)

EXCLUSIONS = TableSchema(
    "exclusions", "results/data/exclusions.parquet",
    "One row per excluded vertebra (label >= 1), subject or unusable CT-like file under rawdata (label -1), "
    "with the stage that excluded it. The ingest stage writes its own rows, with these columns, to "
    "results/data/ingest_exclusions.parquet; collect_patches adds the reformat stage's.",
    _VERTEBRA_KEYS + (
        col("stage", "string", "'ingest' or 'reformat'"),
        col("reason", "string", "why it was excluded"),
        col("file", "string", "the file the reason refers to"),
    ),
)

SPLINE = TableSchema(
    "spline", "results/data/reformat/sub-<id>/spline.parquet",
    "The centroid spline of one subject, sampled every 1 mm of arc length, with its moving frame.",
    (
        col("subject", "string", "subject ID"),
        col("s", "float64", "arc length from the most cranial centroid (negative in the cranial extension)", "mm"),
        *(col(f"{v}_{a}", "float64", f"{desc}, world {a} (RAS)", unit)
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
        col("row", "int64", "image row (axis 0 of the reformation)"),
        col("s", "float64", "arc length of the row on the subject's spline", "mm"),
        col("centre_column", "int64", "column through the curve (offset 0)"),
        col("spacing_mm", "float64", "pixel spacing along the row", "mm"),
        *(col(f"origin_{a}", "float64", f"the row's point on the curve (shifted through the centroid), world {a} (RAS)", "mm")
          for a in "xyz"),
        *(col(f"p_{a}", "float64", f"the row's posterior axis (unit), world {a} (RAS)") for a in "xyz"),
    ),
)

PATCHES = TableSchema(
    "patches", "results/data/patches.parquet",
    "One row per vertebra that ingest included, with the reformatted files; reformat may exclude more.",
    _VERTEBRA_KEYS + _GRADE + (
        col("centroid_x", "float64", "patch centre (the vertebra's reformatting centre), world x (RAS)", "mm"),
        col("centroid_y", "float64", "patch centre, world y (RAS)", "mm"),
        col("centroid_z", "float64", "patch centre, world z (RAS)", "mm"),
        col("s", "float64", "arc length of the centre on the subject's spline", "mm"),
        col("fov_fraction", "float64", "fraction of the 3D patch inside the scan's field of view"),
        col("ct_patch", "string", "96^3 1 mm CT patch (HU, IPL axes: inferior, posterior, left)"),
        col("mask_patch", "string", "96^3 vertebra label patch"),
        col("body_patch", "string", "96^3 vertebral-body label patch (empty without a body mask)"),
        col("fracture_patch", "string", "96^3 ground-truth fracture region (synthetic only)"),
        col("sag_ct", "string", "224^2 0.5 mm straightened mid-sagittal reformation (HU)"),
        col("sag_mask", "string", "224^2 label reformation"),
        col("sag_body", "string", "224^2 vertebral-body label reformation (empty without a body mask)"),
        col("sag_fracture", "string", "224^2 ground-truth fracture region reformation (synthetic only)"),
        col("sag_heatmap", "string", "224^2 Gaussian centroid channel"),
        col("sag_sheet", "string", "the reformation's sampling sheet: world position of every pixel (sagittal_sheet table)"),
        col("truth_path", "string", "ground-truth morphometry JSON (synthetic cohort), empty for real data"),
    ) + _STATUS,
)

FOLDS = TableSchema(
    "folds", "results/data/folds.parquet",
    "Patient-level assignment: K cross-validation folds stratified by fracture status, plus a held-out test set.",
    (
        col("subject", "string", "subject ID"),
        col("split", "string", "'cv' or 'test'"),
        col("fold", "int64", "fold 0..K-1 for cv subjects (the fold in which it is validated), -1 for test"),
        col("has_fracture", "bool", "the subject has at least one included fractured vertebra"),
        col("n_vertebrae", "int64", "included vertebrae of the subject"),
        col("n_fractures", "int64", "included fractured vertebrae of the subject"),
    ),
)
