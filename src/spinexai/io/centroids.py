"""VerSe centroid JSON: read into world coordinates, write from world coordinates.

The file is a list: first ``{"direction": ["P", "I", "R"]}`` (nibabel axis codes of the voxel
coordinates), then ``{"label": 20, "X": .., "Y": .., "Z": ..}`` per vertebra in voxel coordinates.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import nibabel.orientations as nio
import numpy as np

from spinexai.errors import InputError
from spinexai.io.atomic import write_text_atomic
from spinexai.io.nifti import ImageHeader
from spinexai.labels import VERSE_RANGE, is_verse_label


@dataclass(frozen=True)
class Centroid:
    label: int
    world: np.ndarray | None  # RAS mm, None where the file holds NaN
    problem: str | None = None


def _voxel_in_image_axes(xyz: np.ndarray, direction: str, header: ImageHeader) -> np.ndarray:
    """Map voxel coordinates given in ``direction`` axes to the image's own voxel axes."""
    image_codes = header.axcodes
    if direction == image_codes:
        return xyz
    src = nio.axcodes2ornt(tuple(direction))
    dst = nio.axcodes2ornt(tuple(image_codes))
    # Shape of the volume as seen in the centroid file's axes.
    to_src = nio.ornt_transform(dst, src)
    src_shape = [0, 0, 0]
    for img_axis, (src_axis, _flip) in enumerate(to_src):
        src_shape[int(src_axis)] = header.shape[img_axis]
    out = np.empty(3)
    for src_axis, (dst_axis, flip) in enumerate(nio.ornt_transform(src, dst)):
        value = xyz[src_axis]
        # Flipping an axis of n voxels maps c to n - 1 - c (not n - c).
        out[int(dst_axis)] = (src_shape[src_axis] - 1 - value) if flip < 0 else value
    return out


def read_centroids(path: str | os.PathLike, header: ImageHeader) -> list[Centroid]:
    """Read a VerSe centroid JSON and return world coordinates (RAS mm) for each label.

    Entries with NaN coordinates or a label outside the VerSe numbering come back with ``world=None``
    and a ``problem`` text, so the caller can record them as exclusions.

    Raises:
        InputError: unreadable JSON, a missing or unknown ``direction``, entries without ``label``/X/Y/Z,
            or a label listed twice.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, None, "centroid file not found")
    try:
        entries = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(path, None, f"not valid JSON: {exc}") from None
    if not isinstance(entries, list):
        raise InputError(path, None, "expected a JSON list of centroid entries")
    direction = header.axcodes
    points = []
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise InputError(path, f"[{n}]", f"expected an object, got {entry!r}")
        if "direction" in entry:
            codes = entry["direction"]
            if not (isinstance(codes, list) and len(codes) == 3 and all(c in "LRAPSI" for c in codes)):
                raise InputError(path, f"[{n}].direction", f"expected three axis codes from LRAPSI, got {codes!r}")
            direction = "".join(codes)
            try:
                nio.axcodes2ornt(tuple(direction))
            except Exception:
                raise InputError(path, f"[{n}].direction", f"axis codes {codes} do not name three axes") from None
            continue
        for key in ("label", "X", "Y", "Z"):
            if key not in entry:
                raise InputError(path, f"[{n}].{key}", f"missing in entry {entry!r}")
        points.append((n, entry))
    out: list[Centroid] = []
    seen: set[int] = set()
    for n, entry in points:
        try:
            label = int(entry["label"])
        except (TypeError, ValueError):
            raise InputError(path, f"[{n}].label", f"expected an integer, got {entry['label']!r}") from None
        if label in seen:
            raise InputError(path, f"[{n}].label", f"label {label} is listed twice")
        seen.add(label)
        try:
            xyz = np.array([float(entry[k]) for k in ("X", "Y", "Z")])
        except (TypeError, ValueError):
            raise InputError(path, f"[{n}].X/Y/Z", f"expected numbers, got {entry!r}") from None
        if not is_verse_label(label):
            out.append(Centroid(label, None, f"label {label} (entry [{n}]) is outside the VerSe numbering ({VERSE_RANGE})"))
            continue
        if not np.all(np.isfinite(xyz)):
            out.append(Centroid(label, None, "centroid is NaN in the centroid file"))
            continue
        ijk = _voxel_in_image_axes(xyz, direction, header)
        out.append(Centroid(label, header.voxel_to_world(ijk)))
    return out


def write_centroids(path: str | os.PathLike, centroids: dict[int, np.ndarray], header: ImageHeader) -> None:
    """Write world-mm centroids as a VerSe JSON in the image's voxel axes (one decimal)."""
    entries: list[dict] = [{"direction": list(header.axcodes)}]
    for label in sorted(centroids):
        ijk = header.world_to_voxel(centroids[label])
        entries.append({"label": int(label), **{k: round(float(v), 1) for k, v in zip("XYZ", ijk, strict=False)}})
    write_text_atomic(path, json.dumps(entries) + "\n")
