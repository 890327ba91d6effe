"""The streaming top quantile equals numpy.quantile exactly."""

import numpy as np
import pytest
import torch

from spinexai.fracture3d.dissection.quantile import TopQuantile


@pytest.mark.parametrize("q", [0.005, 0.01, 0.2, 0.5])
@pytest.mark.parametrize("batches", [1, 7])
def test_matches_numpy_quantile(q, batches):
    rng = np.random.default_rng(0)
    values = rng.gamma(2.0, size=(35, 3, 4, 5, 6)).astype(np.float32)
    values[:, 1] = np.round(values[:, 1])  # many ties
    values[:, 2] = 0.0  # a dead unit
    sketch = TopQuantile(3, 35 * 4 * 5 * 6, q)
    for chunk in np.array_split(values, batches):
        sketch.update(torch.from_numpy(chunk))
    expected = np.quantile(values.transpose(1, 0, 2, 3, 4).reshape(3, -1).astype(np.float64), 1 - q, axis=1)
    np.testing.assert_allclose(sketch.thresholds(), expected, rtol=0, atol=1e-6)


def test_keeps_only_the_tail():
    sketch = TopQuantile(2, 100_000, 0.005)
    assert sketch.keep <= 501


def test_wrong_counts_are_errors():
    sketch = TopQuantile(1, 10, 0.1)
    sketch.update(torch.zeros(1, 1, 5))
    with pytest.raises(ValueError, match="5 of the declared 10"):
        sketch.thresholds()
    with pytest.raises(ValueError, match="more than the declared"):
        sketch.update(torch.zeros(2, 1, 5))
