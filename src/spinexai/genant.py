"""The Genant semi-quantitative rule: grade and morphology from vertebral heights.

Heights are measured at the anterior, middle and posterior positions of the mid-sagittal body.
Height loss at each position is ``1 - h / e`` against an expected height ``e``. Without expected
heights, every position is compared with the largest of the vertebra's own three heights (the
classic own-ratio reading; it cannot see a uniform crush and reads a naturally concave middle as
some loss). Grades: loss < 20% normal (0), 20-25% mild (1), 25-40% moderate (2), >= 40% severe (3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GRADE_BOUNDS = (0.20, 0.25, 0.40)
POSITIONS = ("anterior", "middle", "posterior")
# All three positions count as "reduced alike" when each loses at least this share of the largest loss.
UNIFORM_SHARE = 0.8


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
