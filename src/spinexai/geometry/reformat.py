"""Per-subject reformatting: spline through the centroids, 3D patches and 2D sagittal reformations."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spinexai.config import ConfigSection
from spinexai.geometry.masks import load_body_labels, load_vertebra_labels
from spinexai.geometry.sampling import grid_affine, inside_fraction, resample_affine, resample_points
from spinexai.geometry.sheet import sheet_table
from spinexai.geometry.spline import SpineCurve, fit_spine_curve
from spinexai.io.nifti import read_image, read_labels, write_image
from spinexai.io.tables import SAG_SHEET, write_table
from spinexai.labels import case_id, spine_order

log = logging.getLogger(__name__)
HU_FILL = -1024.0


@dataclass(frozen=True)
class ReformatParams(ConfigSection):
    """The ``reformat:`` section of the config."""

    patch_size: int = 96
    patch_spacing_mm: float = 1.0
    sagittal_size: int = 224
    sagittal_spacing_mm: float = 0.5
    heatmap_sigma_mm: float = 5.0
    extension_mm: float = 20.0
    spline_smoothing: float = 0.0
    min_fov_fraction: float = 0.6

    def sagittal_pixel_mm(self, size: int) -> float:
        """mm per pixel of a reformation resized to ``size`` x ``size`` (the 2D models' input grid)."""
        return self.sagittal_spacing_mm * self.sagittal_size / size



def spline_table(subject: str, curve: SpineCurve) -> pd.DataFrame:
    s = np.arange(np.ceil(curve.s_min), np.floor(curve.s_max) + 1.0, 1.0)
    pos = curve.point(s)
    t, p, l = curve.frame(s)
    data = {"subject": subject, "s": s}
    for name, v in (("pos", pos), ("t", t), ("p", p), ("l", l)):
        for k, axis in enumerate("xyz"):
            data[f"{name}_{axis}"] = v[:, k]
    return pd.DataFrame(data)


def sagittal_grid(curve: SpineCurve, s_centre: float, size: int, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """World points (size, size, 3) of the straightened mid-sagittal plane and its local affine.

    Rows follow the curve (arc length, caudal), columns the posterior axis ``p``. The affine is the
    tangent plane at the vertebra: exact along the centre row only; elsewhere it is off the curved
    sheet by the curve's departure from its tangent (README, "Reformatting", has measured figures).
    """
    offsets = (np.arange(size) - size // 2) * spacing
    s = s_centre + offsets
    pts = curve.point(s)
    _, p, _ = curve.frame(s)
    world = pts[:, None, :] + offsets[None, :, None] * p[:, None, :]
    t0, p0, l0 = curve.frame(np.array(s_centre))
    affine = grid_affine(curve.point(np.array(s_centre)), (t0, p0, l0), (size, size, 1), (spacing, spacing, 1.0))
    return world, affine


def gaussian_heatmap(size: int, spacing: float, sigma_mm: float) -> np.ndarray:
    r = (np.arange(size) - size // 2) * spacing
    d2 = r[:, None] ** 2 + r[None, :] ** 2
    return np.exp(-d2 / (2 * sigma_mm**2)).astype(np.float32)


def reformat_subject(rows: pd.DataFrame, out_dir: str | Path, params: ReformatParams) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reformat one subject's vertebrae.

    Args:
        rows: the subject's manifest rows (every status); rows with a finite centroid shape the
            spline, included rows get patches.
        out_dir: folder for the NIfTI files.
    Returns:
        (patch rows for the included vertebrae, spline table).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    subject = str(rows["subject"].iloc[0])
    first = rows.iloc[0]
    ct, ct_header = read_image(first["ct_path"], dtype=np.float32)
    vert = None
    if first["mask_path"]:
        vert = load_vertebra_labels(first["mask_path"], first["mask_convention"])
    body = load_body_labels(first["body_mask_path"], vert) if first["body_mask_path"] and vert is not None else None
    fracture = read_labels(first["fracture_mask_path"]) if first.get("fracture_mask_path", "") else None

    have = rows[np.isfinite(rows[["centroid_x", "centroid_y", "centroid_z"]]).all(axis=1)].copy()
    have["order"] = have["label"].map(spine_order)
    have = have.sort_values("order")
    centres = have[["centroid_x", "centroid_y", "centroid_z"]].to_numpy(float)
    curve = fit_spine_curve(centres, extension_mm=params.extension_mm, smoothing=params.spline_smoothing)
    size, step = params.patch_size, params.patch_spacing_mm
    heat = gaussian_heatmap(params.sagittal_size, params.sagittal_spacing_mm, params.heatmap_sigma_mm)

    out = []
    for _, row in have[have["status"] == "included"].iterrows():
        label = int(row["label"])
        centre = np.array([row["centroid_x"], row["centroid_y"], row["centroid_z"]])
        s = curve.arc_length_of(centre)
        t, p, l = curve.frame(np.array(s))
        affine = grid_affine(centre, (t, p, l), (size,) * 3, (step,) * 3)
        record = row.drop(labels=["order"]).to_dict()
        record.update(s=s, fov_fraction=inside_fraction(ct.shape, ct_header.affine, affine, (size,) * 3))
        paths = dict.fromkeys(("ct_patch", "mask_patch", "body_patch", "fracture_patch", "sag_ct", "sag_mask",
                               "sag_body", "sag_fracture", "sag_heatmap", "sag_sheet"), "")
        if record["fov_fraction"] < params.min_fov_fraction:
            record.update(paths, status="excluded",
                          reason=f"only {record['fov_fraction']:.0%} of the patch lies in the field of view "
                                 f"(reformat.min_fov_fraction = {params.min_fov_fraction:.0%})")
            out.append(record)
            continue
        stem = out_dir / case_id(subject, label)
        patch = resample_affine(ct, ct_header.affine, affine, (size,) * 3, order=1, cval=HU_FILL)
        write_image(f"{stem}_ct.nii.gz", np.rint(patch).astype(np.int16), affine)
        paths["ct_patch"] = f"{stem}_ct.nii.gz"
        world, sag_affine = sagittal_grid(curve, s, params.sagittal_size, params.sagittal_spacing_mm)
        # Shift the plane through the vertebra's own centroid (the curve may pass beside it when smoothing).
        world = world + (centre - curve.point(np.array(s)))
        sag_affine[:3, 3] += centre - curve.point(np.array(s))
        sag = resample_points(ct, ct_header.affine, world, order=1, cval=HU_FILL)
        write_image(f"{stem}_sag-ct.nii.gz", np.rint(sag).astype(np.int16)[..., None], sag_affine)
        write_image(f"{stem}_sag-heatmap.nii.gz", heat[..., None], sag_affine)
        rows_s = s + (np.arange(params.sagittal_size) - params.sagittal_size // 2) * params.sagittal_spacing_mm
        write_table(sheet_table(world, rows_s, params.sagittal_spacing_mm), f"{stem}_sag-sheet.parquet", SAG_SHEET)
        paths.update(sag_ct=f"{stem}_sag-ct.nii.gz", sag_heatmap=f"{stem}_sag-heatmap.nii.gz",
                     sag_sheet=f"{stem}_sag-sheet.parquet")
        for key, sag_key, labels in (("mask_patch", "sag_mask", vert), ("body_patch", "sag_body", body),
                                     ("fracture_patch", "sag_fracture", fracture)):
            if labels is None:
                continue
            data, header = labels
            name = {"mask_patch": "msk", "body_patch": "body", "fracture_patch": "fx"}[key]
            lab = resample_affine(data, header.affine, affine, (size,) * 3, order=0, cval=0)
            write_image(f"{stem}_{name}.nii.gz", lab, affine, label=True)
            lab2 = resample_points(data, header.affine, world, order=0, cval=0)
            write_image(f"{stem}_sag-{name}.nii.gz", lab2[..., None], sag_affine, label=True)
            paths[key], paths[sag_key] = f"{stem}_{name}.nii.gz", f"{stem}_sag-{name}.nii.gz"
        record.update(paths)
        out.append(record)
        log.info("sub-%s %s: patches written (%.0f%% of the patch in the field of view)", subject,
                 record["level"], 100 * record["fov_fraction"])
    return pd.DataFrame(out), spline_table(subject, curve)
