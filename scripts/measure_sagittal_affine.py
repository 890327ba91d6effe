"""How far the 2D reformation's NIfTI affine (the tangent plane at the centroid) lies from the curved
sheet the reformation was sampled on, per included vertebra of a finished run.

The sheet is rebuilt from the manifest's centroids with the run's reformat settings, as the data stage
builds it. Prints the median and largest gap within 20 mm of the image centre, over the whole image
and along the centre row, and writes them as JSON.

    python scripts/measure_sagittal_affine.py --results results --config config/study.yaml
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from spinexai.geometry.reformat import ReformatParams, sagittal_grid
from spinexai.geometry.spline import fit_spine_curve
from spinexai.labels import spine_order

CENTROID = ["centroid_x", "centroid_y", "centroid_z"]


def gaps(results: Path, params: ReformatParams, near_mm: float = 20.0) -> pd.DataFrame:
    manifest = pd.read_parquet(results / "data/manifest.parquet")
    patches = pd.read_parquet(results / "data/patches.parquet")
    patches = patches[patches["status"] == "included"]
    size, spacing = params.sagittal_size, params.sagittal_spacing_mm
    ii, jj = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    pixels = np.stack([ii, jj, np.zeros_like(ii)], -1).astype(float)
    radius = np.hypot(ii - size // 2, jj - size // 2) * spacing
    rows = []
    for subject, group in manifest.groupby("subject"):
        have = group[np.isfinite(group[CENTROID]).all(axis=1)].copy()
        have = have.assign(order=have["label"].map(spine_order)).sort_values("order")
        curve = fit_spine_curve(have[CENTROID].to_numpy(float), extension_mm=params.extension_mm,
                                smoothing=params.spline_smoothing)
        for row in patches[patches["subject"] == subject].itertuples():
            world, affine = sagittal_grid(curve, row.s, size, spacing)
            gap = np.linalg.norm(world - (pixels @ affine[:3, :3].T + affine[:3, 3]), axis=-1)
            rows.append({"subject": subject, "label": row.label, "near_mm": gap[radius <= near_mm].max(),
                         "image_mm": gap.max(), "centre_row_mm": gap[size // 2].max()})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--config", type=Path, default=Path("config/config.yaml"))
    parser.add_argument("--json", type=Path, default=Path("bench/out/sagittal_affine.json"))
    args = parser.parse_args(argv)
    params = ReformatParams.from_dict(yaml.safe_load(args.config.read_text()).get("reformat", {}) or {})
    table = gaps(args.results, params)
    summary = {"vertebrae": len(table), **{f"{c}_{stat}": float(getattr(table[c], stat)())
                                           for c in ("near_mm", "image_mm", "centre_row_mm") for stat in ("median", "max")}}
    print(f"{'gap (mm)':<28}{'median':>8}{'max':>8}")
    for column, name in (("near_mm", "within 20 mm of the centre"), ("image_mm", "whole image"),
                         ("centre_row_mm", "centre row")):
        print(f"{name:<28}{table[column].median():>8.2f}{table[column].max():>8.2f}")
    print(f"{len(table)} vertebrae")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
