"""XVFA adapted to CT: keypoint error in mm and the moderate+severe AUC of the differentiable Genant rule."""

from __future__ import annotations

import numpy as np

from spinexai.io import tables as T
from spinexai.study.claims import (
    CONFIRMED,
    MISSED,
    NO_GOAL,
    Claim,
    Section,
    Tables,
    fmt,
    per_fold,
)


def _keypoint_arm(cfg: dict) -> str:
    arms = cfg["keypoints"]["arms"]
    full = [name for name, lam in arms.items() if all(x > 0 for x in lam)]
    return full[0] if full else next(iter(arms))


def keypoints_section(t: Tables, cfg: dict) -> Section:
    """XVFA: keypoint error in mm and the moderate+severe AUC."""
    folds = range(cfg["folds"]["n_folds"])
    arm = _keypoint_arm(cfg)
    sec = Section("keypoints", "Keypoints and the differentiable Genant rule", "XVFA")
    error = Claim(f"Mean six-point error on test vertebrae (arm '{arm}')",
                  "not reported in mm (model uncertainty ±5.3 px within the 5th-95th percentiles, on X-ray)", "<= 1.5 mm",
                  digits=2)
    moderate = Claim(f"Normal+mild vs moderate+severe test AUC (arm '{arm}')", "AUC 0.99 ± 0.01 (Table 1, full model)",
                     ">= 0.95")
    fracture = Claim(f"Normal vs fracture test AUC (arm '{arm}')", "AUC 0.98 ± 0.01 (Table 1, full model)", "none set")
    sec.claims = [error, moderate, fracture]
    metrics = t.folds(T.KEYPOINT_METRICS, folds, arm=arm)
    if metrics is None:
        table = t.read(T.KEYPOINT_TABLE)
        if table is None:
            for c in sec.claims:
                c.not_run(f"no {t.rel(T.KEYPOINT_TABLE)}")
            return sec
        # Only the summary: mean and SD, no per-fold values.
        for c, task, metric, passes in ((error, "fracture", "point_error_mm", lambda m: m <= 1.5),
                                        (moderate, "moderate", "auc", lambda m: m >= 0.95), (fracture, "fracture", "auc", None)):
            row = table[(table.arm == arm) & (table.split == "test") & (table.task == task) & (table.metric == metric)]
            if not len(row):
                c.not_run(f"no test {task} {metric} row for arm '{arm}' in {t.rel(T.KEYPOINT_TABLE)}")
                continue
            c.mean, c.sd = float(row["mean"].iloc[0]), float(row["std"].iloc[0])
            c.verdict = NO_GOAL if passes is None else (CONFIRMED if passes(c.mean) else MISSED)
            c.note = f"From {t.rel(T.KEYPOINT_TABLE)} (per-fold metrics missing)."
    else:
        test = metrics[metrics.split == "test"]
        error.measure(per_fold(test[test.task == "fracture"], "point_error_mm"), lambda m: m <= 1.5)
        moderate.measure(per_fold(test[test.task == "moderate"], "auc"), lambda m: m >= 0.95)
        fracture.measure(per_fold(test[test.task == "fracture"], "auc"), None)
    heights = t.read(T.MORPHOMETRY)
    predictions = t.folds(T.KEYPOINT_PREDICTIONS, folds, arm=arm)
    truth = None
    if predictions is not None and "true_point_error_mm" in predictions.columns:
        truth = predictions[(predictions.split == "test") & np.isfinite(predictions.true_point_error_mm)]
    if truth is not None and len(truth):
        mask_error = error.mean
        error.measure({int(k): float(d.true_point_error_mm.mean()) for k, d in truth.groupby("fold")}, lambda m: m <= 1.5)
        error.note = (error.note + f" Against the generator's true points (keypoint_predictions.true_point_error_mm, "
                      f"{len(truth)} test rows); against the mask-derived targets the models are trained on: "
                      f"{fmt(mask_error, 2)} mm.").strip()
    else:
        error.note = (error.note + " Against the mask-derived targets: the keypoint tables hold no distance to the generator's "
                      "true points (needed: `true_point_error_mm` in keypoint_predictions).").strip()
    if heights is not None and predictions is not None:
        tested = predictions[predictions.split == "test"][["subject", "label"]].drop_duplicates()
        mask = heights.merge(tested, on=["subject", "label"])
        mask = mask[(mask.status == "measured") & np.isfinite(mask.point_error_mm)]
        if len(mask):
            error.note += (f" The mask-derived targets of these {len(mask)} test vertebrae are "
                           f"{fmt(mask.point_error_mm.mean(), 2)} mm from the generator's points (heights.parquet).")
            error.detail = {"mask_to_truth_mm": float(mask.point_error_mm.mean())}
    return sec
