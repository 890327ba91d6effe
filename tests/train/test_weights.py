"""Class weights, one implementation: ProtoVerse's sample-normalised schemes and XVFA's class-normalised one."""

import math

import numpy as np
import pytest
import torch

from spinexai.train.weights import class_weights, label_counts


def test_median_frequency_weights_match_methods_section():
    w = class_weights([982, 58, 38], "median").numpy()
    np.testing.assert_allclose(w, [58 / 982, 1.0, 58 / 38], rtol=1e-6)
    np.testing.assert_allclose(w.round(3), [0.059, 1.0, 1.526], atol=1e-6)


def test_printed_formula_gives_healthy_the_largest_weight():
    w = class_weights([982, 58, 38], "median_printed").numpy()
    np.testing.assert_allclose(w, [58 / 96, 58 / 1020, 58 / 1040], rtol=1e-6)
    assert w.argmax() == 0


@pytest.mark.parametrize("scheme, expected", [
    ("none", [1.0, 1.0, 1.0]),
    ("inverse", [1078 / (3 * 982), 1078 / (3 * 58), 1078 / (3 * 38)]),
    ("inverse_sqrt", [math.sqrt(1078 / (3 * 982)), math.sqrt(1078 / (3 * 58)), math.sqrt(1078 / (3 * 38))]),
])
def test_other_weightings(scheme, expected):
    np.testing.assert_allclose(class_weights([982, 58, 38], scheme).numpy(), expected, rtol=1e-6)


def test_absent_class_gets_zero_weight():
    assert class_weights([10, 0, 5], "median")[1] == 0


def test_class_normalised_inverse_weights_average_one_over_present_classes():
    """XVFA's keypoint model: w_c = 1 / d_c, the classes present averaging 1; unknown labels (-1) ignored."""
    w = class_weights(label_counts(np.array([0, 0, 0, 1, -1, 3]), 4), "inverse", normalise="classes")
    raw = np.array([1 / 3, 1, 0, 1])
    assert np.allclose(w.numpy(), raw / raw[[0, 1, 3]].mean())
    assert torch.equal(class_weights(label_counts(np.array([0, 1]), 4), "none", normalise="classes"), torch.ones(4))


def test_label_counts_ignore_unknown_labels():
    assert label_counts(np.array([0, 2, 2, -1]), 4).tolist() == [1.0, 0.0, 2.0, 0.0]


def test_unknown_scheme_or_normalisation_is_refused():
    with pytest.raises(ValueError, match="median"):
        class_weights([1, 2], "median", normalise="classes")
    with pytest.raises(ValueError, match="normalisation"):
        class_weights([1, 2], "inverse", normalise="both")
