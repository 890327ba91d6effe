"""Exact per-unit top quantiles of activations streamed in batches.

Network dissection needs, for every unit, the level T_k with P(a_k > T_k) = q over every voxel of
every sample. Only the top ``m`` values of a unit can influence a quantile that high, so keeping a
running top-``m`` per unit gives numpy's exact answer with O(units x m) memory instead of storing
all activations (libraries offer approximate sketches such as t-digest; exactness is cheap here).
"""

from __future__ import annotations

import math

import numpy as np
import torch


def _order_statistics(n: int, q: float) -> tuple[int, float]:
    """Ascending index ``lo`` and weight of numpy's linear quantile at probability ``1 - q``."""
    h = (n - 1) * (1.0 - q)
    lo = math.floor(h)
    return lo, h - lo


class TopQuantile:
    """Streaming exact ``numpy.quantile(values_k, 1 - q)`` for each of ``units`` channels.

    Args:
        units: number of channels.
        n_values: how many values each unit will receive in total (samples x voxels).
        q: upper tail probability (0.005 in Engstler et al. 2022).
    """

    def __init__(self, units: int, n_values: int, q: float) -> None:
        if not 0.0 < q < 1.0:
            raise ValueError(f"dissection quantile must lie in (0, 1), got {q}")
        self.units, self.n_values, self.q = units, n_values, q
        lo, _ = _order_statistics(n_values, q)
        self.keep = n_values - lo  # the descending ranks 0 .. n-1-lo cover both order statistics
        self.top: torch.Tensor | None = None
        self.seen = 0

    def update(self, activations: torch.Tensor) -> None:
        """Add a batch of shape ``(B, units, *spatial)``."""
        values = activations.detach().float().transpose(0, 1).reshape(self.units, -1)
        self.seen += values.shape[1]
        if self.seen > self.n_values:
            raise ValueError(f"received {self.seen} values per unit, more than the declared {self.n_values}")
        merged = values if self.top is None else torch.cat([self.top, values], dim=1)
        k = min(self.keep, merged.shape[1])
        self.top = torch.topk(merged, k, dim=1, sorted=False).values

    def thresholds(self) -> np.ndarray:
        """T_k for each unit, float64, equal to ``numpy.quantile`` over all values received."""
        if self.seen != self.n_values or self.top is None:
            raise ValueError(f"received {self.seen} of the declared {self.n_values} values per unit")
        top = torch.sort(self.top, dim=1, descending=True).values.double().cpu().numpy()
        lo, frac = _order_statistics(self.n_values, self.q)
        r_lo = self.n_values - 1 - lo  # descending rank of the ascending index lo
        below = top[:, r_lo]
        above = top[:, r_lo - 1] if r_lo >= 1 else below
        return below + frac * (above - below)
