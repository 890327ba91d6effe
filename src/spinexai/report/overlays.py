"""A case's 2D explanation maps written onto the source CT's voxel grid, for a viewer overlay.

The maps come from the stages' saved arrays (nothing is recomputed): the top-3 ProtoVerse
prototypes' similarity maps (``similarity.npz`` and ``top3.parquet`` of the main arm) and the
counterfactual attribution map with the CAM family (Grad-CAM, Grad-CAM++, XGradCAM) and saliency of the
classifier it explains (``maps.npz`` of the counterfactual stage).
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

TOP_PROTOTYPES = 3
MAPS_2D = {**{f"prototype{k}": f"top-{k} ProtoVerse prototype's similarity (latent grid, bilinear to the sheet)"
              for k in range(1, TOP_PROTOTYPES + 1)},
           "counterfactual": "counterfactual attribution map (Lenis et al. 2020)",
           "gradcam": "Grad-CAM of the 2D classifier the counterfactual stage explains",
           "gradcam_pp": "Grad-CAM++ of that classifier",
           "xgradcam": "XGradCAM of that classifier",
           "saliency": "gradient saliency of that classifier (scaled to its maximum)"}
_CF_MAPS = {"counterfactual": "map", "gradcam": "gradcam", "gradcam_pp": "gradcam_pp", "xgradcam": "xgradcam",
            "saliency": "saliency"}


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
    prototypes = [f"prototype{k}" for k in range(1, TOP_PROTOTYPES + 1)]
    if similarity and top3:
        arrays = np.load(similarity)
        found = _find(arrays, ("test", "val", "predict"), subject, label)
        tops = pd.read_parquet(top3)
        tops = tops[(tops["subject"] == subject) & (tops["label"] == label)].set_index("rank")
        for k, method in enumerate(prototypes, start=1):
            if found and k in tops.index:
                split, n = found
                maps[method] = arrays[f"{split}_similarity"][n, int(tops.loc[k, "prototype"])].astype(np.float32)
            else:
                missing[method] = "not a grade-model class (the grade models see G0, G2 and G3) or not evaluated"
    else:
        missing.update(dict.fromkeys(prototypes, "the prototype stage has no main-arm outputs for this fold"))
    if counterfactual:
        arrays = np.load(counterfactual)
        found = _find(arrays, ("test", "val", "predict"), subject, label)
        for method, key in _CF_MAPS.items():
            if not found:
                missing[method] = "not among the counterfactual stage's graded vertebrae"
            elif f"{found[0]}_{key}" not in arrays:
                missing[method] = f"{counterfactual} has no {found[0]}_{key} array (made before this map was added)"
            else:
                maps[method] = arrays[f"{found[0]}_{key}"][found[1]].astype(np.float32)
    else:
        missing.update(dict.fromkeys(_CF_MAPS, "the counterfactual stage did not explain this fold (counterfactual.folds)"))
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
