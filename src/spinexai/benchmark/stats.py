"""Paired tests of each method against a reference method over the same vertebrae."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import wilcoxon

KEYS = ["fold", "subject", "label"]


def paired_wilcoxon(a: np.ndarray, b: np.ndarray) -> tuple[float, float, int, str]:
    """Two-sided Wilcoxon signed-rank test of paired scores: (statistic, p, pairs, method).

    scipy's exact distribution where it applies (no zero differences or ties, n <= 50), else the normal
    approximation; NaN where every difference is zero or there are no pairs."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    n = len(a)
    d = a - b
    if n == 0 or not np.any(d != 0):
        return float("nan"), float("nan"), n, "none"
    nonzero = d[d != 0]
    exact = len(nonzero) == n and len(np.unique(np.abs(nonzero))) == n and n <= 50
    method = "exact" if exact else "approx"
    result = wilcoxon(a, b, alternative="two-sided", method=method, zero_method="wilcox")
    return float(result.statistic), float(result.pvalue), n, method


def versus(scores: pd.DataFrame, metric: str, method: str, reference: str) -> dict:
    """Mean difference and Wilcoxon test of ``method`` minus ``reference`` on ``metric``, paired by vertebra."""
    a = scores[scores["method"] == method].set_index(KEYS)[metric]
    b = scores[scores["method"] == reference].set_index(KEYS)[metric]
    both = pd.concat([a.rename("a"), b.rename("b")], axis=1, join="inner").dropna()
    statistic, p, n, how = paired_wilcoxon(both["a"].to_numpy(), both["b"].to_numpy())
    diff = float((both["a"] - both["b"]).mean()) if n else float("nan")
    return {"difference": diff, "statistic": statistic, "p_value": p, "n_pairs": n, "test": how}
