"""A differentiable Genant classifier: the rule of ``spinexai.genant`` with soft comparisons.

Each comparison ``x > b`` becomes ``sigmoid((x - b) / temperature)`` and AND becomes the minimum
(OR the maximum), as in XVFA. As the temperature goes to zero the memberships become the hard rule's
one-hot answer; at a finite temperature gradients flow from grade and morphology back to the heights
and so to the keypoints that produced them.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from spinexai.genant import GRADE_BOUNDS, UNIFORM_SHARE

MORPHOLOGIES = ("normal", "wedge", "biconcave", "crush")


@dataclass
class FuzzyReading:
    grade: torch.Tensor  # (..., 4) memberships of G0-G3, normalised to sum to 1
    morphology: torch.Tensor  # (..., 4) normal, wedge, biconcave, crush, normalised
    loss: torch.Tensor  # (...,) the largest relative height loss


def _gt(x: torch.Tensor, bound, temperature: float) -> torch.Tensor:
    return torch.sigmoid((x - bound) / temperature)


def _and(*terms: torch.Tensor) -> torch.Tensor:
    return torch.stack(torch.broadcast_tensors(*terms)).amin(0)


def _normalise(x: torch.Tensor) -> torch.Tensor:
    return x / x.sum(-1, keepdim=True).clamp_min(1e-12)


def losses_from_heights(heights: torch.Tensor, expected: torch.Tensor | None = None) -> torch.Tensor:
    """Relative height losses ``(..., 3)`` against expected heights.

    The largest own height is the default, and stands in wherever ``expected`` is NaN (the 'own' source of
    ``genant.expected_heights``), so a batch can mix both sources and gradients reach the own maximum.
    """
    own = heights.amax(-1, keepdim=True)
    if expected is None:
        reference = own
    else:
        expected = torch.as_tensor(expected, dtype=heights.dtype, device=heights.device)
        reference = torch.where(torch.isnan(expected), own, expected)
    return (1.0 - heights / reference).clamp(0.0, 1.0)


def fuzzy_genant(heights: torch.Tensor, expected: torch.Tensor | None = None,
                 temperature: float = 0.02) -> FuzzyReading:
    """Grade and morphology memberships from heights ``(..., 3)`` = (ha, hm, hp) and expected heights
    (``(..., 3)``, NaN = the largest own height; see ``losses_from_heights``)."""
    losses = losses_from_heights(heights, expected)
    loss = losses.amax(-1)
    above = [_gt(loss, b, temperature) for b in GRADE_BOUNDS]
    grade = torch.stack([1 - above[0], _and(above[0], 1 - above[1]), _and(above[1], 1 - above[2]), above[2]], -1)
    fractured = above[0]
    uniform = _and(*[_gt(losses[..., i], UNIFORM_SHARE * loss, temperature) for i in range(3)])
    largest = [_and(*[_gt(losses[..., i], losses[..., j], temperature) for j in range(3) if j != i]) for i in range(3)]
    morphology = torch.stack([
        1 - fractured,
        _and(fractured, largest[0], 1 - uniform),
        _and(fractured, largest[1], 1 - uniform),
        _and(fractured, torch.maximum(largest[2], uniform)),
    ], -1)
    return FuzzyReading(_normalise(grade), _normalise(morphology), loss)


def p_moderate_or_worse(reading: FuzzyReading) -> torch.Tensor:
    """Membership of moderate + severe (grade >= 2), the XVFA binary task."""
    return reading.grade[..., 2:].sum(-1)
