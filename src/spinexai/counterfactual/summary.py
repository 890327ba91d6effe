"""Across folds: the domain-test AUC table, the paper's Table 1 (Hausdorff distance, weak localisation,
area ratio per method and percentile), paired Wilcoxon tests of our maps against each baseline, the
sanity check and timing."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import wilcoxon

METRICS = ("hausdorff_mm", "weak_localisation", "area_ratio")


def domain_summary(domain: pd.DataFrame) -> pd.DataFrame:
    """Mean and SD of the AUC per condition over folds and repetitions, and its change from the originals."""
    original = domain[domain["condition"] == "original"].set_index("fold")["auc"]
    domain = domain.assign(auc_change=domain["auc"] - domain["fold"].map(original))
    out = domain.groupby("condition", sort=False).agg(
        auc_mean=("auc", "mean"), auc_sd=("auc", "std"), auc_change_mean=("auc_change", "mean"),
        auc_change_max_abs=("auc_change", lambda s: float(s.abs().max())),
        mean_p_fractured=("mean_p_fractured", "mean"), mean_p_healthy=("mean_p_healthy", "mean"),
        runs=("auc", "size")).reset_index()
    return out


def localisation_summary(localisation: pd.DataFrame) -> pd.DataFrame:
    """Table 1: per split, target and method, mean and SD of each metric and the share of empty maps."""
    if localisation.empty:
        return pd.DataFrame(columns=["split", "target", "method", "cases"])
    groups = localisation.groupby(["split", "target", "method"], sort=True)
    out = groups.agg(cases=("hausdorff_mm", "size"), empty_fraction=("empty", "mean"),
                     **{f"{m}_mean": (m, "mean") for m in METRICS}, **{f"{m}_sd": (m, "std") for m in METRICS})
    return out.reset_index()


def wilcoxon_tests(localisation: pd.DataFrame) -> pd.DataFrame:
    """Paired two-sided Wilcoxon signed-rank tests, ours against every other method, per metric, over the
    cases where both values are defined (a map with no pixel has no Hausdorff distance)."""
    rows = []
    if localisation.empty:
        return pd.DataFrame(columns=["split", "target", "method", "metric", "pairs", "ours_mean", "other_mean",
                                     "statistic", "p_value"])
    keys = ["fold", "subject", "label"]
    for (split, target), part in localisation.groupby(["split", "target"]):
        ours = part[part["method"] == "ours"].set_index(keys)
        for method, other in part[part["method"] != "ours"].groupby("method"):
            other = other.set_index(keys)
            for metric in METRICS:
                pair = pd.concat([ours[metric], other[metric]], axis=1, keys=["ours", "other"], join="inner").dropna()
                diff = pair["ours"] - pair["other"]
                if len(pair) and (diff != 0).any():
                    test = wilcoxon(pair["ours"], pair["other"])
                    stat, p = float(test.statistic), float(test.pvalue)
                else:
                    stat, p = float("nan"), float("nan")
                rows.append({"split": split, "target": target, "method": method, "metric": metric, "pairs": len(pair),
                             "ours_mean": float(pair["ours"].mean()) if len(pair) else np.nan,
                             "other_mean": float(pair["other"].mean()) if len(pair) else np.nan,
                             "statistic": stat, "p_value": p})
    return pd.DataFrame(rows)


def sanity_summary(sanity: pd.DataFrame) -> pd.DataFrame:
    """Mean and SD of the rank correlation between each method's maps before and after randomising the
    classifier's weights (near 0: the maps depend on the weights, as they must)."""
    if sanity.empty:
        return pd.DataFrame(columns=["split", "method", "cases", "spearman_mean", "spearman_sd"])
    return sanity.groupby(["split", "method"]).agg(cases=("spearman", "size"), spearman_mean=("spearman", "mean"),
                                                    spearman_sd=("spearman", "std")).reset_index()


def effect_summary(effects: pd.DataFrame) -> pd.DataFrame:
    """Per split and grade: mean p(fracture) before and after the counterfactual deletion."""
    return effects.groupby(["split", "grade"]).agg(
        cases=("p_original", "size"), p_original_mean=("p_original", "mean"),
        p_counterfactual_mean=("p_counterfactual", "mean"), map_area_mean=("map_area", "mean"),
        below_threshold_fraction=("below_threshold", "mean")).reset_index()
