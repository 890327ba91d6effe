"""Cross-fold summaries shaped like the ProtoVerse paper's tables: test and cross-validation comparison
(Tables 1-2), contribution scores (Table 3), the prototypes-per-class and diversity-weight ablations
(Tables 5-6), class weighting (Figure 7), prototype cosine similarity (Figure 3), paired Wilcoxon tests,
and how often explanations point into the ground-truth fracture region."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import wilcoxon

METRICS = ("class_accuracy", "class_f1", "sample_accuracy")
SETTINGS = ("model", "per_class", "diversity", "class_weighting", "window")


def _mean_std(metrics: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    agg = metrics.groupby(by, sort=False)[list(METRICS)].agg(["mean", "std"])
    agg.columns = [f"{m}_{s}" for m, s in agg.columns]
    n = metrics.groupby(by, sort=False)["fold"].nunique().rename("folds")
    return agg.join(n).reset_index()


def comparison_tables(metrics: pd.DataFrame, main_arm: str, baseline_arms: list[str]) -> pd.DataFrame:
    """One long table; ``paper_table`` says which of the paper's tables a row belongs to.

    Ablation rows are the arms that differ from the main arm in exactly that one setting (plus the main
    arm itself), so the tables come out of whichever arms the config lists."""
    summary = _mean_std(metrics, ["arm", "split", *SETTINGS])
    main = summary[summary["arm"] == main_arm]
    if main.empty:
        return summary.assign(paper_table="", varied="", value="").iloc[0:0]
    ref = main.iloc[0]
    out = []
    compared = [main_arm, *baseline_arms]
    for split, label in (("test", "1: held-out test"), ("val", "2: cross-validation")):
        rows = summary[(summary["split"] == split) & summary["arm"].isin(compared)]
        out.append(rows.assign(paper_table=label, varied="model", value=rows["arm"]))
    for setting, label in (("per_class", "5: prototypes per class"), ("diversity", "6: diversity weight"),
                           ("class_weighting", "7: class weighting"), ("window", "ablation: matching window (not in the paper)")):
        others = [s for s in SETTINGS if s != setting]
        same = np.logical_and.reduce([summary[s] == ref[s] for s in others])
        rows = summary[same & (summary["split"] == "val")]
        if rows[setting].nunique() > 1:
            out.append(rows.sort_values(setting).assign(paper_table=label, varied=setting, value=rows[setting].astype(str)))
    table = pd.concat(out, ignore_index=True)
    table["value"] = table["value"].astype(str)
    return table


def wilcoxon_tests(metrics: pd.DataFrame, main_arm: str) -> pd.DataFrame:
    """Paired Wilcoxon signed-rank tests of the main arm against every other arm over folds, per split
    and metric: the exact two-sided p (the smallest possible with 5 folds is 0.0625) and the one-sided
    p for 'main is better' (the paper's 0.031 with 5 folds is one-sided)."""
    rows = []
    for split, part in metrics.groupby("split"):
        wide = {m: part.pivot_table(index="fold", columns="arm", values=m) for m in METRICS}
        for other in sorted(set(part["arm"]) - {main_arm}):
            for metric in METRICS:
                table = wide[metric]
                if main_arm not in table or other not in table:
                    continue
                pair = table[[main_arm, other]].dropna()
                diff = pair[main_arm] - pair[other]
                row = {"split": split, "arm": main_arm, "other": other, "metric": metric, "folds": len(pair),
                       "mean_difference": float(diff.mean()) if len(diff) else np.nan,
                       "p_two_sided": np.nan, "p_one_sided": np.nan}
                if len(pair) >= 2 and (diff != 0).any():
                    row["p_two_sided"] = float(wilcoxon(pair[main_arm], pair[other], alternative="two-sided").pvalue)
                    row["p_one_sided"] = float(wilcoxon(pair[main_arm], pair[other], alternative="greater").pvalue)
                rows.append(row)
    return pd.DataFrame(rows, columns=["split", "arm", "other", "metric", "folds", "mean_difference", "p_two_sided",
                                       "p_one_sided"])


def contribution_matrix(contributions: pd.DataFrame) -> pd.DataFrame:
    """Table 3: mean total contribution of each prototype class to the logit of the test sample's own
    class, per (test grade, prototype grade), averaged over samples and then folds."""
    per_fold = contributions.groupby(["arm", "fold", "grade", "prototype_grade"])["contribution"].mean()
    table = per_fold.groupby(["arm", "grade", "prototype_grade"]).agg(["mean", "std", "count"]).reset_index()
    return table.rename(columns={"mean": "contribution_mean", "std": "contribution_std", "count": "folds"})


def cosine_summary(cosine: pd.DataFrame) -> pd.DataFrame:
    """Per arm and fold: mean cosine similarity of distinct same-class prototype pairs and of
    different-class pairs (Figure 3 in numbers)."""
    distinct = cosine[cosine["prototype_a"] != cosine["prototype_b"]]
    same = distinct["grade_a"] == distinct["grade_b"]
    intra = distinct[same].groupby(["arm", "fold"])["cosine"].mean().rename("intra_class_cosine")
    inter = distinct[~same].groupby(["arm", "fold"])["cosine"].mean().rename("inter_class_cosine")
    return pd.concat([intra, inter], axis=1).reset_index()


def localisation_summary(localisation: pd.DataFrame) -> pd.DataFrame:
    """Hit rate of explanation peaks inside the ground-truth fracture region (G2/G3 test cases) and share
    inside the vertebra's body, per arm and method; for prototypes also the top-1 prototype alone, and a
    case counted as hit when 2 of its top-3 peaks hit."""
    columns = ["arm", "method", "hit_rate", "body_rate", "cases", "folds"]
    test = localisation[localisation["split"] == "test"].copy()
    if test.empty:
        return pd.DataFrame(columns=columns)
    if "in_body" not in test:
        test["in_body"] = np.nan
    test["family"] = np.where(test["method"].str.startswith("prototype"), "top-3 prototypes", test["method"])
    rows = []

    def row(arm: str, method: str, part: pd.DataFrame) -> dict:
        return {"arm": arm, "method": method, "hit_rate": float(part["hit"].mean()),
                "body_rate": float(part["in_body"].astype(float).mean()),
                "cases": int(part.groupby(["fold", "subject", "label"]).ngroups), "folds": int(part["fold"].nunique())}

    for (arm, family), part in test.groupby(["arm", "family"]):
        rows.append(row(arm, family, part))
        if family == "top-3 prototypes":
            rows.append(row(arm, "top-1 prototype", part[part["method"] == "prototype1"]))
            per_case = part.groupby(["fold", "subject", "label"])["hit"].sum() >= 2
            rows.append({"arm": arm, "method": "top-3 prototypes, 2 of 3 hit", "hit_rate": float(per_case.mean()),
                         "body_rate": float("nan"), "cases": len(per_case), "folds": int(part["fold"].nunique())})
    return pd.DataFrame(rows, columns=columns)
