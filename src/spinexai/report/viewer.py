"""An embedded 3D viewer for the case pages: the source CT around the vertebra with its explanation
maps as overlays, in NiiVue (BSD-2-Clause, vendored from the npm registry in ``assets/``).

A page opened from the file system may not fetch files (Chromium blocks it), but it may load
scripts: so each case gets a small script beside its page that holds the cropped CT and maps as
base64 NIfTI, and the page hands them to NiiVue. The crop keeps the CT's voxel grid (its affine
only moves its origin), so the overlays line up as they do in 3D Slicer.
"""

from __future__ import annotations

import base64
import gzip
import json
import shutil
from importlib import resources
from pathlib import Path

import nibabel as nib
import numpy as np

from spinexai.io.atomic import write_text_atomic
from spinexai.io.nifti import read_image

ASSETS = ("niivue.umd.js", "NIIVUE_LICENSE.txt", "viewer.js")
HALF_MM = 40.0  # half the edge of the box shown around the vertebra
WINDOW_HU = (-400.0, 1200.0)  # the CT is shown in this window, stored as 8 bits (6 HU a step) to keep pages small


def copy_vendor(report_dir: str | Path) -> Path:
    """Copy the viewer (NiiVue and our page script) into ``report_dir/assets`` once per report; returns the folder."""
    out = Path(report_dir) / "assets"
    out.mkdir(parents=True, exist_ok=True)
    for name in ASSETS:
        source = resources.files("spinexai.report").joinpath("assets", name)
        target = out / name
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            with resources.as_file(source) as path:
                shutil.copyfile(path, target)
    return out


def crop_box(shape: tuple[int, ...], affine: np.ndarray, centre_world: np.ndarray, half_mm: float = HALF_MM
             ) -> tuple[slice, slice, slice]:
    """Voxel slices of the CT covering ``half_mm`` around ``centre_world`` (clipped to the image)."""
    centre = np.linalg.solve(affine, np.append(centre_world, 1.0))[:3]
    spacing = np.linalg.norm(affine[:3, :3], axis=0)
    half = np.ceil(half_mm / spacing)
    lo = np.clip(np.floor(centre - half), 0, np.array(shape[:3]) - 1).astype(int)
    hi = np.clip(np.ceil(centre + half) + 1, lo + 1, np.array(shape[:3])).astype(int)
    return tuple(slice(int(a), int(b)) for a, b in zip(lo, hi, strict=True))


def _nifti_base64(data: np.ndarray, affine: np.ndarray) -> str:
    image = nib.Nifti1Image(data, affine)
    image.header.set_xyzt_units("mm")
    return base64.b64encode(gzip.compress(image.to_bytes(), compresslevel=6, mtime=0)).decode("ascii")


def viewer_data(ct_path: str | Path, maps: dict[str, str | Path], centre_world: np.ndarray,
                half_mm: float = HALF_MM) -> dict:
    """The cropped CT (8 bits over ``WINDOW_HU``) and every map (8 bits of its own maximum) as base64 NIfTI."""
    ct, header = read_image(ct_path)
    box = crop_box(ct.shape, header.affine, np.asarray(centre_world, float), half_mm)
    origin = header.affine @ np.array([box[0].start, box[1].start, box[2].start, 1.0])
    affine = header.affine.copy()
    affine[:3, 3] = origin[:3]
    lo, hi = WINDOW_HU
    windowed = np.round((np.clip(ct[box], lo, hi) - lo) / (hi - lo) * 255).astype(np.uint8)
    volumes = {"ct": _nifti_base64(windowed, affine), "window_hu": list(WINDOW_HU), "maps": []}
    for name, path in maps.items():
        values, map_header = read_image(path)
        if values.shape[:3] != ct.shape[:3]:
            raise ValueError(f"{path}: shape {values.shape} is not the CT's {ct.shape} ({ct_path})")
        part = np.nan_to_num(values[box].astype(np.float32))
        top = float(part.max()) if part.size else 0.0
        scaled = np.zeros(part.shape, np.uint8) if top <= 0 else np.round(np.clip(part / top, 0, 1) * 255).astype(np.uint8)
        volumes["maps"].append({"name": name, "data": _nifti_base64(scaled, affine), "voxels": int((scaled > 0).sum())})
    return volumes


def write_viewer_script(path: str | Path, key: str, volumes: dict) -> None:
    """``path``: a script that registers ``volumes`` under ``key`` for ``assets/viewer.js``."""
    write_text_atomic(path, "window.spinexaiVolumes = window.spinexaiVolumes || {};\n"
                            f"window.spinexaiVolumes[{json.dumps(key)}] = {json.dumps(volumes)};\n")
