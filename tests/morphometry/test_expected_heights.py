"""Genant readings against expected heights: own largest height, or the nearest unfractured neighbours.

Every morphology at every grade boundary, from hand-made heights of a five-vertebra subject (T12-L4), so
the expected heights come from ``expected_heights`` itself, and the fuzzy rule given the same expectations.
"""

import numpy as np
import pytest
import torch

from spinexai.genant import (
    GRADE_BOUNDS,
    MAX_NEIGHBOUR_LEVELS,
    classify,
    expected_heights,
    expected_heights_table,
    level_height_factor,
)
from spinexai.labels import LEVEL_LABELS
from spinexai.morphometry.fuzzy_gsq import MORPHOLOGIES, fuzzy_genant
from spinexai.morphometry.keypoint_data import mask_expected, predicted_expected

LABELS = [LEVEL_LABELS[n] for n in ("T12", "L1", "L2", "L3", "L4")]
L2 = 2  # index of the vertebra under test
SHAPE = np.array([1.0, 0.93, 1.0])  # ha, hm, hp of a healthy body relative to its rim height (concave middle)


def _healthy(label: int) -> np.ndarray:
    return SHAPE * level_height_factor(label)


def _subject(morphology: str, loss: float) -> np.ndarray:
    """Heights of the five vertebrae, L2 deformed with ``loss`` (against its undeformed heights)."""
    h = np.array([_healthy(label) for label in LABELS])
    e = h[L2].copy()
    if morphology == "wedge":
        h[L2, 0] = e[0] * (1 - loss)
    elif morphology == "biconcave":
        h[L2, 1] = e[0] * (1 - loss)  # the middle loss as the rule reads it: against the largest height
    elif morphology == "crush":  # posterior crush, the middle losing about half as much
        h[L2, 2], h[L2, 1] = e[2] * (1 - loss), e[1] * (1 - loss / 2)
    elif morphology == "uniform crush":
        h[L2] = e * (1 - loss)
    return h


def _read(h: np.ndarray, i: int = L2):
    expected, sources = expected_heights(h, LABELS)
    return classify(tuple(h[i]), tuple(expected[i])), sources[i], expected[i]


MORPHS = ["wedge", "biconcave", "crush", "uniform crush"]
SOURCE = {"wedge": "own", "biconcave": "own", "crush": "own", "uniform crush": "neighbours"}  # crush: posterior


@pytest.mark.parametrize("morphology", MORPHS)
@pytest.mark.parametrize("bound", GRADE_BOUNDS)
def test_every_morphology_at_every_grade_boundary(morphology, bound):
    below, source_below, _ = _read(_subject(morphology, bound - 0.005))
    above, source_above, _ = _read(_subject(morphology, bound + 0.005))
    grade = GRADE_BOUNDS.index(bound) + 1
    assert (below.grade, above.grade) == (grade - 1, grade)
    assert above.morphology == morphology.split()[-1]
    assert below.morphology == ("normal" if grade == 1 else morphology.split()[-1])
    assert above.loss == pytest.approx(bound + 0.005, abs=1e-9)
    assert source_above == SOURCE[morphology]
    if grade > 1:
        assert source_below == SOURCE[morphology]


@pytest.mark.parametrize("loss, grade", [(0.21, 1), (0.30, 2), (0.55, 3)])
def test_a_uniform_crush_reads_as_fractured_given_neighbours(loss, grade):
    h = _subject("uniform crush", loss)
    assert classify(tuple(h[L2])).grade == 0  # invisible to the own-height reading
    reading, source, expected = _read(h)
    assert source == "neighbours" and (reading.grade, reading.morphology) == (grade, "crush")
    np.testing.assert_allclose(expected, _healthy(LABELS[L2]))  # neighbours scaled back to L2's level


def test_healthy_vertebrae_read_against_their_own_heights():
    h = _subject("wedge", 0.0)
    expected, sources = expected_heights(h, LABELS)
    assert sources == ["own"] * 5
    np.testing.assert_allclose(expected, np.repeat(h.max(1, keepdims=True), 3, 1))
    assert all(classify(tuple(x), tuple(e)).grade == 0 for x, e in zip(h, expected, strict=True))


def test_fractured_neighbours_are_skipped_and_judged_by_their_own_ratios():
    h = _subject("uniform crush", 0.30)
    h[L2 - 1, 0] *= 0.6  # L1: a severe wedge by its own ratios, so T12 is L2's upper reference
    h[L2 + 1] *= 0.7  # L3: a uniform crush reads unfractured by its own ratios, so it stays a reference
    _, _, expected = _read(h)
    upper = h[0] * level_height_factor(LABELS[L2]) / level_height_factor(LABELS[0])
    lower = h[L2 + 1] * level_height_factor(LABELS[L2]) / level_height_factor(LABELS[L2 + 1])
    np.testing.assert_allclose(expected, (upper + lower) / 2)


def test_without_neighbours_the_reading_falls_back_to_own_heights():
    h = _subject("uniform crush", 0.30)
    expected, sources = expected_heights(h[L2:L2 + 1], LABELS[L2:L2 + 1])
    assert sources == ["own"] and classify(tuple(h[L2]), tuple(expected[0])).grade == 0
    far = [LABELS[L2] - MAX_NEIGHBOUR_LEVELS - 1, LABELS[L2], LABELS[L2] + MAX_NEIGHBOUR_LEVELS + 1]
    assert expected_heights(h[1:4], far)[1] == ["own"] * 3  # neighbours too many levels away do not count
    h[L2 + 1] = np.nan  # an unmeasured vertebra is neither read nor a neighbour
    expected, sources = expected_heights(h, LABELS)
    assert sources[L2 + 1] == "" and np.isnan(expected[L2 + 1]).all() and sources[L2] == "neighbours"


def test_level_factor_grows_from_thorax_to_lumbar():
    factors = [level_height_factor(label) for label in range(8, 25)]
    assert factors[0] == pytest.approx(17.0) and factors[-1] == pytest.approx(28.0)
    assert np.all(np.diff(factors) > 0)
    assert level_height_factor(19) < level_height_factor(28) < level_height_factor(20)  # T13 between T12 and L1


def test_the_table_helper_works_per_subject():
    import pandas as pd

    h = _subject("uniform crush", 0.30)
    frame = pd.DataFrame({"subject": ["a"] * 5 + ["b"], "label": LABELS + [LABELS[L2]],
                          "ha": [*h[:, 0], h[L2, 0]], "hm": [*h[:, 1], h[L2, 1]], "hp": [*h[:, 2], h[L2, 2]]})
    out = expected_heights_table(frame)
    assert out["expected_source"].tolist() == ["own", "own", "neighbours", "own", "own", "own"]
    assert out.index.equals(frame.index)


# -- the fuzzy rule given the same expected heights ------------------------------------------------------

@pytest.mark.parametrize("morphology", MORPHS)
@pytest.mark.parametrize("bound", GRADE_BOUNDS)
def test_fuzzy_rule_with_expected_heights_at_every_boundary(morphology, bound):
    for loss, grade in ((bound - 0.005, GRADE_BOUNDS.index(bound)), (bound + 0.005, GRADE_BOUNDS.index(bound) + 1)):
        h = _subject(morphology, loss)
        expected, sources = expected_heights(h, LABELS)
        e = np.where(np.array(sources)[:, None] == "neighbours", expected, np.nan)  # NaN: own largest height
        fuzzy = fuzzy_genant(torch.tensor(h), torch.tensor(e), temperature=1e-4)
        hard = classify(tuple(h[L2]), tuple(expected[L2]))
        assert int(fuzzy.grade[L2].argmax()) == grade == hard.grade
        assert MORPHOLOGIES[int(fuzzy.morphology[L2].argmax())] == hard.morphology


def test_fuzzy_nan_expected_means_own_height_and_keeps_gradients():
    h = torch.tensor([[18.0, 24.0, 25.0], [17.5, 16.3, 17.5]], dtype=torch.float64, requires_grad=True)
    e = torch.tensor([[np.nan] * 3, [25.0, 23.25, 25.0]], dtype=torch.float64)
    mixed = fuzzy_genant(h, e, temperature=0.02)
    own = fuzzy_genant(h, temperature=0.02)
    assert torch.allclose(mixed.grade[0], own.grade[0])
    assert int(mixed.grade[1].argmax()) == 2 and int(own.grade[1].argmax()) == 0  # a 30% uniform crush
    mixed.grade[:, 2:].sum().backward()
    assert torch.isfinite(h.grad).all() and h.grad[0, 0] < 0
    assert (h.grad[1] <= 0).all() and h.grad[1].sum() < 0  # taller walls make moderate less likely, expected fixed


def test_keypoint_model_takes_mask_expected_for_training_and_predicted_for_prediction():
    import pandas as pd

    h = _subject("uniform crush", 0.30)
    expected, sources = expected_heights(h, LABELS)
    rows = pd.DataFrame({"subject": ["s"] * 5, "label": LABELS, "expected_source": sources,
                         **{f"expected_h{p}": expected[:, k] for k, p in enumerate("amp")}})
    train = mask_expected(rows)
    assert np.isnan(train[[0, 1, 3, 4]]).all() and np.allclose(train[L2], expected[L2])
    predicted, predicted_sources = predicted_expected(rows, h * 1.01)  # predictions slightly off the masks
    assert predicted_sources == sources
    np.testing.assert_allclose(predicted[L2], expected[L2] * 1.01, rtol=1e-6)


def test_the_rule_loss_on_a_uniform_crush_does_not_ask_for_a_wedge_given_neighbours():
    e = torch.tensor([[25.0, 23.25, 25.0]], dtype=torch.float64)
    grade, morph = torch.tensor([2]), torch.tensor([MORPHOLOGIES.index("crush")])

    def loss_and_grad(expected):
        h = (e * 0.7).clone().requires_grad_(True)  # a 30% uniform crush, labelled moderate crush
        reading = fuzzy_genant(h, expected, temperature=0.02)
        loss = (torch.nn.functional.nll_loss(reading.grade.clamp_min(1e-6).log(), grade)
                + torch.nn.functional.nll_loss(reading.morphology.clamp_min(1e-6).log(), morph))
        loss.backward()
        return loss.item(), h.grad[0]

    own_loss, own_grad = loss_and_grad(None)
    given_loss, given_grad = loss_and_grad(e)
    assert given_loss < 0.3 and own_loss > 3
    # without expected heights the only way to a moderate reading is to shrink one wall against the others
    assert own_grad.abs().max() > 10 * given_grad.abs().max()
