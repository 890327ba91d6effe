"""Engstler et al. 2022: the 3D classifier against the Genant rule on the masks' heights, and network dissection."""

from __future__ import annotations

import numpy as np
import pandas as pd

from spinexai.io import tables as T
from spinexai.study.claims import (
    NOT_MEASURED,
    Claim,
    Section,
    Tables,
    auc_or_nan,
    finite,
    fmt,
    markdown_table,
    missing_folds,
    per_fold,
)


def classifier_section(t: Tables, cfg: dict) -> Section:
    """Engstler et al. 2022: test AUC and F1 of the 3D classifier, against the Genant rule on the mask heights."""
    folds = range(cfg["folds"]["n_folds"])
    g = cfg["data"]["fracture_min_grade"]
    sec = Section("classifier3d", "3D fracture classifier", "Engstler et al. 2022")
    auc = Claim(f"Test AUC, fracture = grade >= {g}", "AUC 84.5 ± 9.1 % (Table 1, VerSe only; 96.2 ± 0.9 % with in-house data)",
                ">= 0.97")
    f1 = Claim("Test F1 at the decision threshold", "F1 71.2 ± 10.8 % (Table 1, VerSe only)", "none set")
    ref = Claim("Test AUC above the Genant rule on the masks' heights (reference row), same test vertebrae",
                "not in the paper", "above the reference")
    sec.claims = [auc, f1, ref]
    metrics = t.folds(T.CLASSIFIER_METRICS, folds)
    if metrics is None:
        for c in sec.claims:
            c.not_run(f"no {t.rel(T.CLASSIFIER_METRICS, k='<k>')}")
        return sec
    test = metrics[metrics.split == "test"]
    auc.measure(per_fold(test, "auc"), lambda m: m >= 0.97).note = missing_folds(metrics, folds).strip()
    f1.measure(per_fold(test, "f1"), None)

    predictions = t.folds(T.CLASSIFIER_PREDICTIONS, folds)
    heights = t.read(T.MORPHOMETRY)
    if predictions is None or heights is None:
        ref.not_run("no " + " or ".join(p for p, s in ((t.rel(T.CLASSIFIER_PREDICTIONS, k="<k>"), predictions),
                                                         (t.rel(T.MORPHOMETRY), heights)) if s is None))
        return sec
    pred = predictions[(predictions.split == "test") & (predictions.grade >= 0)]
    vertebrae = pred[["subject", "label", "grade"]].drop_duplicates(["subject", "label"])
    measured = heights[heights.status == "measured"][["subject", "label", "genant_loss", "apr", "mpr", "mar"]]
    rule = vertebrae.merge(measured, on=["subject", "label"], how="inner")
    rule = rule[np.isfinite(rule.genant_loss)]
    y = (rule.grade >= g).to_numpy()
    scores = {"genant_loss (largest relative height loss)": rule.genant_loss.to_numpy(),
              "1 - min(APR, MPR, MAR)": 1 - rule[["apr", "mpr", "mar"]].min(axis=1).to_numpy()}
    reference = pd.DataFrame([{"score": name, "auc": auc_or_nan(y, s), "vertebrae": len(rule), "fractured": int(y.sum())}
                              for name, s in scores.items()])
    bar = float(reference.auc.max())
    same = pred.merge(rule[["subject", "label"]], on=["subject", "label"])
    by_fold = {int(k): auc_or_nan(d.grade.to_numpy() >= g, d.probability.to_numpy()) for k, d in same.groupby("fold")}
    ref.measure(by_fold, lambda m: m > bar)
    left_out = len(vertebrae) - len(rule)
    ref.note = (f"Bar: the better of the rule's two scores, AUC {fmt(bar)} on {len(rule)} test vertebrae ({int(y.sum())} "
                f"with grade >= {g}); ours is the classifier's AUC on the same vertebrae, above the bar in "
                f"{sum(v > bar for v in by_fold.values())} of {len(by_fold)} folds."
                + (f" {left_out} test vertebrae without measured heights are left out of this row." if left_out else ""))
    if not finite(bar):
        ref.verdict = NOT_MEASURED
        ref.note += " The reference AUC is undefined (one class among the measured test vertebrae)."
    ref.detail = {"reference": reference, "bar": bar, "folds_above": int(sum(v > bar for v in by_fold.values()))}
    sec.text.append("Reference row: the Genant rule on each test vertebra's mask heights against its expected heights "
                    "(its own largest, or the nearest unfractured neighbours' scaled by level) "
                    f"(`{t.rel(T.MORPHOMETRY)}`), fracture = grade >= {g}.\n\n" + markdown_table(reference))
    sec.data["genant_reference"] = reference
    return sec


def dissection_section(t: Tables, cfg: dict) -> Section:
    """Engstler et al. 2022: do the top true-positive units overlap the true fracture region, and what are they?"""
    folds = range(cfg["folds"]["n_folds"])
    sec = Section("dissection", "Network dissection", "Engstler et al. 2022")
    overlap = Claim("Top-10 units of the true-positive ranking overlap the true fracture region more than random units, "
                    "permutation p < 0.01 in every fold",
                    "not tested in the paper (experts read the top-10 TP units; 3 of 10 had no clear concept, Table 2)",
                    "p < 0.01 in every fold", digits=4)
    concepts = Claim("The concepts of the top units are named", "Table 2: 7 of the top-10 units named by two experts",
                     "every top unit named")
    sec.claims = [overlap, concepts]
    table = t.read(T.DISSECTION_OVERLAP)
    if table is None:
        table = t.folds(T.FRACTURE_OVERLAP, folds)
    if table is None:
        overlap.not_run(f"no {t.rel(T.DISSECTION_OVERLAP)}")
    else:
        tp = table[table.ranking == "tp"]
        if not len(tp):
            overlap.not_run("no true-positive ranking in the permutation-test table (no ground-truth fracture regions?)")
        else:
            overlap.measure(per_fold(tp, "p_value"), None)
            every = len(set(tp.fold)) == len(folds)
            units = sorted(set(int(u) for u in tp.n_units))
            overlap.ours = (f"p max {fmt(tp.p_value.max(), 4)}; mean IoU {fmt(tp.mean_iou.mean(), 4)} vs random "
                            f"{fmt(tp.null_mean_iou.mean(), 4)}")
            if units != [10]:
                overlap.not_measured(f"the table tests the top {units} units (dissection.top_units), not the top 10; "
                                     f"at that size p < 0.01 holds in {int((tp.p_value < 0.01).sum())} of {len(tp)} folds")
            else:
                overlap.decide(every and bool((tp.p_value < 0.01).all()))
                overlap.note = f"p < 0.01 in {int((tp.p_value < 0.01).sum())} of {len(tp)} folds." + missing_folds(tp, folds)
            sec.text.append("Permutation test, true-positive ranking:\n\n" + markdown_table(
                tp[["fold", "n_units", "mean_iou", "null_mean_iou", "p_value", "n_above_median", "n_above_p95"]], digits=4))
    top = t.read(T.DISSECTION_TOP_UNITS)
    if top is None:
        parts = [d.assign(fold=k) for k in folds if (d := t.read(T.TOP_UNITS, k=k)) is not None]
        top = pd.concat(parts, ignore_index=True) if parts else None
    if top is None:
        concepts.not_run(f"no {t.rel(T.DISSECTION_TOP_UNITS)}")
    else:
        tp = top[top.ranking == "tp"].sort_values(["fold", "rank"])
        named = tp.best_concept.fillna("").astype(str) != ""
        counts = tp[named].best_concept.value_counts()
        concepts.ours = ", ".join(f"{c} ({n})" for c, n in counts.items()) or "none named"
        concepts.decide(bool(len(tp)) and bool(named.all()))
        concepts.note = (f"{int(named.sum())} of {len(tp)} top TP units (over folds) have a concept of highest IoU; "
                         "counts in brackets.")
        concepts.detail = {"counts": counts.to_dict()}
        shown = tp[["fold", "rank", "unit", "value", "best_concept", "best_iou", "fracture_iou"]].rename(
            columns={"value": "c_tp", "best_concept": "concept"})
        sec.text.append("Top units of the true-positive ranking and their concepts (highest IoU with a mask-derived "
                        "concept):\n\n" + markdown_table(shown, digits=4))
        sec.data["top_units"] = shown
    return sec
