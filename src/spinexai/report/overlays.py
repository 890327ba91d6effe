"""A case's 2D explanation maps written onto the source CT's voxel grid, for a viewer overlay.

The maps come from the stages' saved arrays (nothing is recomputed): the top-1 ProtoVerse
prototype's similarity map (``similarity.npz`` and ``top3.parquet`` of the main arm) and the
counterfactual attribution map, Grad-CAM and saliency (``maps.npz`` of the counterfactual stage).
Each lies on the reformation's curved sheet (``sag_sheet``), so it goes back onto the CT through
the exact world position of every pixel, not the tangent-plane affine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from spinexai.geometry.sheet import sheet_points, sheet_to_ct
from spinexai.io.nifti import read_header, write_image
from spinexai.io.tables import SAG_SHEET, read_table

MAPS_2D = {"prototype1": "top-1 ProtoVerse prototype's similarity (latent grid, bilinear to the sheet)",
           "counterfactual": "counterfactual attribution map (Lenis et al. 2020)",
           "gradcam": "Grad-CAM of the 2D classifier the counterfactual stage explains",
           "saliency": "gradient saliency of that classifier (scaled to its maximum)"}


def _find(arrays, split_prefixes, subject: str, label: int) -> tuple[str, int] | None:
    for split in split_prefixes:
        key = f"{split}_subject"
        if key in arrays:
            hit = np.nonzero((arrays[key] == subject) & (arrays[f"{split}_label"] == label))[0]
            if len(hit):
                return split, int(hit[0])
    return None


def case_maps(subject: str, label: int, similarity: str | Path | None, top3: str | Path | None,
              counterfactual: str | Path | None) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The case's 2D maps by method, and for every method without a map the reason."""
    maps, missing = {}, {}
    if similarity and top3:
        arrays = np.load(similarity)
        found = _find(arrays, ("test", "val", "predict"), subject, label)
        tops = pd.read_parquet(top3)
        top = tops[(tops["subject"] == subject) & (tops["label"] == label) & (tops["rank"] == 1)]
        if found and len(top):
            split, n = found
            maps["prototype1"] = arrays[f"{split}_similarity"][n, int(top["prototype"].iloc[0])].astype(np.float32)
        else:
            missing["prototype1"] = "not a grade-model class (the grade models see G0, G2 and G3) or not evaluated"
    else:
        missing["prototype1"] = "the prototype stage has no main-arm outputs for this fold"
    if counterfactual:
        arrays = np.load(counterfactual)
        found = _find(arrays, ("test", "val", "predict"), subject, label)
        for method, key in (("counterfactual", "map"), ("gradcam", "gradcam"), ("saliency", "saliency")):
            if found:
                maps[method] = arrays[f"{found[0]}_{key}"][found[1]].astype(np.float32)
            else:
                missing[method] = "not among the counterfactual stage's graded vertebrae"
    else:
        for method in ("counterfactual", "gradcam", "saliency"):
            missing[method] = "the counterfactual stage did not explain this fold (counterfactual.folds)"
    return maps, missing


def write_overlays(row: pd.Series, ct_path: str | Path, maps: dict[str, np.ndarray], missing: dict[str, str],
                   out_dir: str | Path) -> pd.DataFrame:
    """Write ``<method>_ct.nii.gz`` (the CT's shape and affine) for every map; returns the index table."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ct = read_header(ct_path)
    points = sheet_points(read_table(row["sag_sheet"], SAG_SHEET))
    rows = []
    for method, values in maps.items():
        name = f"{method}_ct.nii.gz"
        write_image(out_dir / name, sheet_to_ct(values, points, ct), ct.affine)
        rows.append({"method": method, "file": name, "source_grid": "x".join(map(str, values.shape)),
                     "description": MAPS_2D[method], "note": ""})
    rows += [{"method": m, "file": "", "source_grid": "", "description": MAPS_2D[m], "note": why}
             for m, why in missing.items()]
    return pd.DataFrame(rows)
