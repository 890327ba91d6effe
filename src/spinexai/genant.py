"""The Genant semi-quantitative rule: grade and morphology from vertebral heights.

Heights are measured at the anterior, middle and posterior positions of the mid-sagittal body.
Height loss at each position is ``1 - h / e`` against an expected height ``e``. Without expected
heights, every position is compared with the largest of the vertebra's own three heights (the
classic own-ratio reading; it cannot see a uniform crush and reads a naturally concave middle as
some loss). Grades: loss < 20% normal (0), 20-25% mild (1), 25-40% moderate (2), >= 40% severe (3).

``expected_heights`` chooses the expected heights of a subject's vertebrae (methods.md section 6):
the largest own height, or, when even that is reduced against the nearest unfractured neighbours
(all three heights reduced alike: a uniform crush), those neighbours' heights scaled by level.
The switch looks at the largest own height, not the posterior one: a posterior crush keeps an intact
anterior wall, so its own reading is exact, while the neighbours' mask heights add their own
measurement noise (on the synthetic cohort, switching on the posterior height graded 2 of 5
posterior crushes right against 5 of 5 for the own reading, at the same AUC).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spinexai.labels import spine_order

GRADE_BOUNDS = (0.20, 0.25, 0.40)
POSITIONS = ("anterior", "middle", "posterior")
# All three positions count as "reduced alike" when each loses at least this share of the largest loss.
UNIFORM_SHARE = 0.8
# The largest own height counts as reduced when it lies this far below the neighbours' (scaled) largest
# height: below the first grade bound, so a crush just past the mild bound still switches, and above the
# natural spread of neighbouring bodies (a few per cent) and most of the masks' height noise.
HEIGHT_REDUCED = 0.15
# Neighbours are looked for at most this many levels above and below.
MAX_NEIGHBOUR_LEVELS = 3
SOURCES = ("own", "neighbours")


@dataclass(frozen=True)
class GenantReading:
    grade: int
    morphology: str  # normal, wedge, biconcave, crush
    loss: float  # the largest relative height loss
    losses: tuple[float, float, float]  # anterior, middle, posterior


def grade_from_loss(loss: float) -> int:
    """Height loss fraction -> Genant grade 0-3."""
    return int(np.searchsorted(GRADE_BOUNDS, loss, side="right"))


def classify(heights: tuple[float, float, float], expected: tuple[float, float, float] | None = None) -> GenantReading:
    """Genant grade and morphology from heights (ha, hm, hp) and optional expected heights."""
    h = np.asarray(heights, dtype=float)
    e = np.full(3, h.max()) if expected is None else np.asarray(expected, dtype=float)
    losses = np.clip(1.0 - h / e, 0.0, 1.0)
    loss = float(losses.max())
    grade = grade_from_loss(loss)
    if grade == 0:
        morphology = "normal"
    elif np.all(losses >= UNIFORM_SHARE * loss):
        morphology = "crush"
    else:
        morphology = ("wedge", "biconcave", "crush")[int(np.argmax(losses))]
    return GenantReading(grade, morphology, loss, tuple(float(x) for x in losses))


def heights_from_points(points: np.ndarray) -> np.ndarray:
    """Six points (superior a/m/p then inferior a/m/p, each xyz) -> heights (ha, hm, hp)."""
    points = np.asarray(points, dtype=float).reshape(2, 3, -1)
    return np.linalg.norm(points[0] - points[1], axis=-1)


def level_height_factor(label: int) -> float:
    """Relative body height of a level: ``17 + 11 f^1.1`` with f = 0 at T1 and 1 at L5.

    The synthetic generator's level law (``synthetic.spine.build_spine``); on real spines it follows
    the usual growth of body height from T1 (about 17 mm) to L5 (about 28 mm). T13 sits between T12
    and L1; L6 extrapolates; cervical levels take T1's value.
    """
    f = float(np.clip((spine_order(label) - 8) / 16, 0.0, 17 / 16))
    return 17.0 + 11.0 * f**1.1


def expected_heights(heights: np.ndarray, labels: Sequence[int]) -> tuple[np.ndarray, list[str]]:
    """Expected heights ``(N, 3)`` and their source ('own' / 'neighbours') for one subject's vertebrae.

    ``heights`` are (ha, hm, hp) per vertebra (rows with a NaN are neither read nor used as neighbours:
    expected NaN, source ''). A neighbour counts as unfractured when its own-ratio reading is grade 0
    (never by a ground-truth grade). The nearest unfractured neighbour above and below, within
    ``MAX_NEIGHBOUR_LEVELS`` levels, gives heights scaled to the vertebra's level by
    ``level_height_factor``; with two, their mean. The vertebra takes them when its largest height lies
    ``HEIGHT_REDUCED`` or more below theirs, else the largest of its own heights.
    """
    h = np.asarray(heights, dtype=float).reshape(-1, 3)
    order = np.array([spine_order(label) for label in labels], float)
    valid = np.isfinite(h).all(1) & (h > 0).all(1)
    unfractured = np.array([bool(v) and classify(tuple(x)).grade == 0 for v, x in zip(valid, h, strict=True)])
    expected = np.full_like(h, np.nan)
    sources = [""] * len(h)
    for i in np.flatnonzero(valid):
        expected[i], sources[i] = h[i].max(), "own"
        references = []
        for direction in (-1, 1):
            steps = (order - order[i]) * direction
            candidates = np.flatnonzero(unfractured & (steps > 0) & (steps <= MAX_NEIGHBOUR_LEVELS))
            if len(candidates):
                j = candidates[np.argmin(steps[candidates])]
                references.append(h[j] * level_height_factor(labels[i]) / level_height_factor(labels[j]))
        if references:
            reference = np.mean(references, axis=0)
            if h[i].max() <= (1.0 - HEIGHT_REDUCED) * reference.max():
                expected[i], sources[i] = reference, "neighbours"
    return expected, sources


def expected_heights_table(frame: pd.DataFrame, columns: Sequence[str] = ("ha", "hm", "hp")) -> pd.DataFrame:
    """``expected_heights`` per subject of a table with ``subject``, ``label`` and height columns.

    Returns ``expected_ha``, ``expected_hm``, ``expected_hp`` and ``expected_source``, aligned with ``frame``.
    """
    out = pd.DataFrame(index=frame.index, columns=["expected_ha", "expected_hm", "expected_hp"], dtype=float)
    out["expected_source"] = ""
    for _, rows in frame.groupby("subject", sort=False):
        expected, sources = expected_heights(rows[list(columns)].to_numpy(float), rows["label"].tolist())
        out.loc[rows.index, ["expected_ha", "expected_hm", "expected_hp"]] = expected
        out.loc[rows.index, "expected_source"] = sources
    return out
