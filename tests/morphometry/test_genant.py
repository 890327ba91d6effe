"""The Genant rule on hand-made point sets, and its differentiable fuzzy version."""

import numpy as np
import pytest
import torch

from spinexai.genant import GRADE_BOUNDS, classify, heights_from_points
from spinexai.morphometry.fuzzy_gsq import MORPHOLOGIES, fuzzy_genant, p_moderate_or_worse

NORMAL = np.array([25.0, 24.0, 25.0])  # ha, hm, hp of a healthy lumbar body (mm)


def _points(heights) -> np.ndarray:
    """Six points (superior a/m/p, inferior a/m/p) 30 mm deep, inferior endplate flat at z = 0."""
    depth = np.array([3.0, 15.0, 27.0])
    superior = np.stack([depth, np.zeros(3), np.asarray(heights)], axis=1)
    inferior = np.stack([depth, np.zeros(3), np.zeros(3)], axis=1)
    return np.concatenate([superior, inferior])


def _deformed(morphology: str, loss: float):
    """Heights and expected heights of a vertebra with ``loss`` of the given morphology."""
    h = NORMAL.copy()
    reference = h.max()
    if morphology == "wedge":
        h[0] = reference * (1 - loss)
    elif morphology == "biconcave":
        h[1] = reference * (1 - loss)
    elif morphology == "crush":
        h[2], h[1] = reference * (1 - loss), min(h[1], reference * (1 - loss / 2))
    elif morphology == "uniform crush":
        return NORMAL * (1 - loss), NORMAL
    return h, None


BANDS = [(0.10, 0), (0.22, 1), (0.32, 2), (0.55, 3)]


@pytest.mark.parametrize("morphology", ["wedge", "biconcave", "crush", "uniform crush"])
@pytest.mark.parametrize("loss, grade", BANDS)
def test_each_morphology_and_grade_from_points(morphology, loss, grade):
    heights, expected = _deformed(morphology, loss)
    reading = classify(tuple(heights_from_points(_points(heights))), None if expected is None else tuple(expected))
    assert reading.grade == grade
    assert reading.morphology == ("normal" if grade == 0 else morphology.split()[-1])


@pytest.mark.parametrize("morphology", ["wedge", "biconcave", "crush", "uniform crush"])
@pytest.mark.parametrize("bound", GRADE_BOUNDS)
def test_grade_boundaries(morphology, bound):
    below, expected = _deformed(morphology, bound - 0.005)
    above, _ = _deformed(morphology, bound + 0.005)
    exp = None if expected is None else tuple(expected)
    assert classify(tuple(above), exp).grade == classify(tuple(below), exp).grade + 1


def _random_heights(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    h = rng.uniform(12, 28, size=(n, 3))
    return torch.tensor(h, dtype=torch.float64)


def test_fuzzy_reading_approaches_the_hard_rule():
    heights = _random_heights()
    hard = [classify(tuple(h.tolist())) for h in heights]
    hard_grade = torch.tensor([r.grade for r in hard])
    hard_morph = torch.tensor([MORPHOLOGIES.index(r.morphology) for r in hard])
    losses = torch.tensor([r.losses for r in hard], dtype=torch.float64)
    # away from every decision boundary of the rule by more than a little
    loss = losses.amax(1)
    margin = torch.stack([(loss - b).abs() for b in GRADE_BOUNDS], 1).amin(1)
    top2 = losses.sort(1, descending=True).values
    clear = (margin > 0.01) & (top2[:, 0] - top2[:, 1] > 0.01)
    errors = []
    for temperature in (0.1, 0.01, 0.001):
        fuzzy = fuzzy_genant(heights, temperature=temperature)
        assert torch.allclose(fuzzy.grade.sum(1), torch.ones(len(heights), dtype=torch.float64))
        one_hot = torch.nn.functional.one_hot(hard_grade, 4).double()
        errors.append(float((fuzzy.grade - one_hot)[clear].abs().max()))
    assert errors[0] > errors[1] > errors[2] and errors[2] < 1e-3
    fuzzy = fuzzy_genant(heights, temperature=1e-4)
    assert (fuzzy.grade.argmax(1) == hard_grade)[clear].all()
    assert (fuzzy.morphology.argmax(1) == hard_morph)[clear].all()


def test_fuzzy_reading_with_expected_heights_sees_a_uniform_crush():
    expected = torch.tensor(NORMAL)
    fuzzy = fuzzy_genant(expected * 0.55, expected, temperature=1e-3)
    assert fuzzy.grade.argmax() == 3 and MORPHOLOGIES[int(fuzzy.morphology.argmax())] == "crush"


def test_gradients_reach_the_heights():
    heights = torch.tensor([[18.0, 24.0, 25.0]], requires_grad=True)  # anterior loss 28%: moderate wedge
    p = p_moderate_or_worse(fuzzy_genant(heights, temperature=0.05))
    p.sum().backward()
    assert torch.isfinite(heights.grad).all()
    assert heights.grad[0, 0] < 0  # a taller anterior wall makes a moderate fracture less likely
