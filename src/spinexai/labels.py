"""Vertebra label numbering (VerSe and TotalSegmentator) and level names."""

from __future__ import annotations

# VerSe: 1-7 C1-C7, 8-19 T1-T12, 20-25 L1-L6, 26 sacrum, 27 coccyx, 28 T13.
_NAMES: dict[int, str] = {}
for _i in range(7):
    _NAMES[1 + _i] = f"C{_i + 1}"
for _i in range(12):
    _NAMES[8 + _i] = f"T{_i + 1}"
for _i in range(6):
    _NAMES[20 + _i] = f"L{_i + 1}"
_NAMES.update({26: "S1", 27: "Cocc", 28: "T13"})

LEVEL_NAMES: dict[int, str] = dict(_NAMES)
LEVEL_LABELS: dict[str, int] = {v: k for k, v in LEVEL_NAMES.items()}
LEVEL_LABELS["S"] = 26

# Position along the spine (cranial to caudal), used to order vertebrae; T13 sits between T12 and L1.
_ORDER = {label: float(label) for label in LEVEL_NAMES}
_ORDER[28] = 19.5

CERVICAL = frozenset(range(1, 8))
THORACOLUMBAR = frozenset(list(range(8, 26)) + [28])

# TotalSegmentator v2 "total" task: vertebrae_S1 = 26, vertebrae_L5 = 27 ... vertebrae_C1 = 50.
TOTALSEG_FIRST, TOTALSEG_LAST = 26, 50


def level_name(label: int) -> str:
    """VerSe label -> level name (``20`` -> ``'L1'``)."""
    try:
        return LEVEL_NAMES[int(label)]
    except KeyError as exc:
        raise KeyError(f"unknown VerSe vertebra label {label}") from exc


VERSE_RANGE = "1-28: 1-7 C1-C7, 8-19 T1-T12, 20-25 L1-L6, 26 sacrum, 27 coccyx, 28 T13"


def is_verse_label(label: int) -> bool:
    """Whether ``label`` is in the VerSe numbering (1-28)."""
    return int(label) in LEVEL_NAMES


def spine_order(label: int) -> float:
    """A sort key that orders VerSe labels from cranial to caudal; labels outside the numbering sort last."""
    label = int(label)
    return _ORDER.get(label, 1000.0 + label)


def totalseg_to_verse(label: int) -> int:
    """TotalSegmentator v2 vertebra label -> VerSe label (C1..L5: ``51 - label``; S1 -> 26)."""
    label = int(label)
    if label == 26:
        return 26
    if 27 <= label <= 50:
        return 51 - label
    raise KeyError(f"TotalSegmentator label {label} is not a vertebra")


def is_totalseg_vertebra(label: int) -> bool:
    return TOTALSEG_FIRST <= int(label) <= TOTALSEG_LAST


def case_id(subject: str, label: int) -> str:
    """``sub-<subject>_vert-<label>``: one vertebra's file stem everywhere (patches, case pages, folders)."""
    return f"sub-{subject}_vert-{int(label)}"
