"""Label maps as the reformatting needs them: VerSe numbering and label-valued vertebral bodies."""

from __future__ import annotations

import numpy as np

from spinexai.errors import InputError
from spinexai.io.nifti import ImageHeader, read_labels
from spinexai.labels import is_totalseg_vertebra, totalseg_to_verse

SUBREG_BODY = (49, 50)  # VerSe sub-regions: corpus border and corpus


def to_verse_labels(data: np.ndarray, convention: str) -> np.ndarray:
    """Map a mask to VerSe numbering; TotalSegmentator non-vertebra labels become 0."""
    if convention == "verse":
        return data
    lut = np.zeros(max(int(data.max()) + 1, 51), dtype=np.int16)
    for value in range(len(lut)):
        if is_totalseg_vertebra(value):
            lut[value] = totalseg_to_verse(value)
    return lut[np.clip(data, 0, len(lut) - 1)]


def load_vertebra_labels(path: str, convention: str) -> tuple[np.ndarray, ImageHeader]:
    data, header = read_labels(path)
    return to_verse_labels(data, convention), header


def body_kind(values: np.ndarray) -> str:
    """'subreg' (VerSe sub-regions), 'binary' (1 = body, 2 = disc) or 'labels' (vertebra labels)."""
    present = set(np.unique(values).tolist()) - {0}
    if present & set(SUBREG_BODY) and present <= set(range(40, 51)):
        return "subreg"
    if present <= {1, 2}:
        return "binary"
    return "labels"


def load_body_labels(path: str, vertebrae: tuple[np.ndarray, ImageHeader]) -> tuple[np.ndarray, ImageHeader]:
    """A label-valued body mask (value = VerSe label) from a body, sub-region or binary mask.

    Binary and sub-region masks are intersected with the vertebra mask, so they must share its grid.
    """
    data, header = read_labels(path)
    kind = body_kind(data)
    if kind == "labels":
        return data, header
    vert, vert_header = vertebrae
    if not header.same_grid(vert_header):
        raise InputError(path, "affine", f"a {kind} body mask must share the vertebra mask's grid "
                                         f"(shape {header.shape} vs {vert_header.shape})")
    keep = np.isin(data, SUBREG_BODY) if kind == "subreg" else data == 1
    return np.where(keep, vert, 0).astype(np.int16), header
