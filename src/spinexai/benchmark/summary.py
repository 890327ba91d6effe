"""The benchmark over folds: per group, method, grid and metric the mean, the paired Wilcoxon tests
against the centre prior (same grid) and against Grad-CAM, and whether the method beats the prior."""

from __future__ import annotations

import numpy as np
import pandas as pd

from spinexai.benchmark.metrics import METRICS
from spinexai.benchmark.stats import versus

LOWER_IS_BETTER = {"hausdorff_mm"}
ALPHA = 0.05
PRIOR, GRADCAM = "centre_prior", "gradcam"


def beats(difference: float, p: float, metric: str) -> bool:
    """Better than the reference in the metric's direction, with two-sided p below ALPHA."""
    if not np.isfinite(difference) or not np.isfinite(p):
        return False
    better = difference < 0 if metric in LOWER_IS_BETTER else difference > 0
    return bool(better and p < ALPHA)


def summarise(scores: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (group, grid, method), part in scores.groupby(["group", "grid", "method"], sort=True):
        same_grid = scores[(scores["group"] == group) & (scores["grid"] == grid)]
        in_group = scores["group"] == group
        both = scores[in_group & (((scores["method"] == method) & (scores["grid"] == grid))
                                  | ((scores["method"] == GRADCAM) & (scores["grid"] == "2d")))]
        for metric in METRICS:
            prior = versus(same_grid, metric, method, PRIOR) if method != PRIOR else None
            cam = versus(both, metric, method, GRADCAM) if method != GRADCAM else None
            nan = {"difference": np.nan, "p_value": np.nan, "n_pairs": 0, "test": "none"}
            prior, cam = prior or nan, cam or nan
            rows.append({"group": group, "grid": grid, "method": method, "metric": metric,
                         "mean": float(part[metric].mean()), "std": float(part[metric].std(ddof=1)),
                         "n": int(part[metric].notna().sum()), "n_empty": int(part["empty"].sum()),
                         "vs_prior_difference": prior["difference"], "vs_prior_p": prior["p_value"],
                         "vs_prior_pairs": prior["n_pairs"], "vs_prior_test": prior["test"],
                         "vs_gradcam_difference": cam["difference"], "vs_gradcam_p": cam["p_value"],
                         "vs_gradcam_pairs": cam["n_pairs"], "vs_gradcam_test": cam["test"],
                         "beats_prior": beats(prior["difference"], prior["p_value"], metric)})
    out = pd.DataFrame(rows)
    if len(out):
        out["verdict"] = np.where(out["method"] == PRIOR, "reference",
                                  np.where(out["beats_prior"], "beats the centre prior", "does not beat the centre prior"))
    return out
