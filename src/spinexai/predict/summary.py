"""The predict run's verdict per vertebra (every fold model combined) and, where the new data are
graded, the metrics of every model against those grades."""

from __future__ import annotations

import numpy as np
import pandas as pd

from spinexai.io.tables import PREDICTIONS
from spinexai.metrics import binary_metrics, multiclass_metrics, youden_metrics

KEYS = ["subject", "label"]
ENSEMBLE = -1  # the fold column's value for the mean over the fold models


def _mode(values: pd.Series) -> object:
    """The most frequent value (ties: the smallest), so the fold models vote."""
    counts = values.dropna().value_counts()
    return counts[counts == counts.max()].sort_index().index[0] if len(counts) else None


def _top_prototypes(top: pd.DataFrame) -> pd.DataFrame:
    if top.empty:
        return pd.DataFrame(columns=[*KEYS, "top_prototypes"])
    text = top.sort_values("rank").groupby(KEYS).apply(
        lambda t: "; ".join(f"p{r.prototype} G{r.prototype_grade} ({r.similarity:.2f})" for r in t.itertuples()),
        include_groups=False)
    return text.rename("top_prototypes").reset_index()


def _top_units(relevance: pd.DataFrame, units: int) -> pd.DataFrame:
    if relevance.empty:
        return pd.DataFrame(columns=[*KEYS, "top_units"])
    enabled = relevance[relevance["enabled"]].sort_values("rank")
    text = enabled.groupby(KEYS).apply(
        lambda t: "; ".join(f"u{r.unit} {r.best_concept if isinstance(r.best_concept, str) and r.best_concept else '-'}"
                            for r in t.head(units).itertuples()), include_groups=False)
    return text.rename("top_units").reset_index()


def vertebra_table(classifier: pd.DataFrame, grades: pd.DataFrame, keypoints: pd.DataFrame, top: pd.DataFrame,
                   relevance: pd.DataFrame, heights: pd.DataFrame | None, threshold: float, explain_fold: int,
                   units: int = 3) -> pd.DataFrame:
    """One row per scored vertebra (schema PREDICTIONS): fold-mean probabilities, the grade vote, the
    keypoint morphometry and the explained fold's top prototypes and units."""
    g = classifier.groupby(KEYS)
    out = g[["level", "grade", "fracture"]].first()
    out["folds"] = g["probability"].count()
    out["p_fracture"] = g["probability"].mean()
    out["p_fracture_sd"] = g["probability"].std(ddof=0)
    out["p_fracture_min"], out["p_fracture_max"] = g["probability"].min(), g["probability"].max()
    out["prediction"] = out["p_fracture"] >= threshold
    out = out.reset_index()
    if len(grades):
        probs = grades.groupby(KEYS)[[f"p_grade{k}" for k in range(4)]].mean()
        classes = [c for c in probs.columns if probs[c].notna().any()]
        probs["predicted_grade"] = probs[classes].to_numpy().argmax(1)
        probs["predicted_grade"] = [int(classes[i].removeprefix("p_grade")) for i in probs["predicted_grade"]]
        out = out.merge(probs.reset_index(), on=KEYS, how="left")
    if len(keypoints):
        kg = keypoints.groupby(KEYS)
        kp = kg[["p_fracture", "p_moderate", "ha", "hm", "hp", "interval_mm", "point_error_mm"]].mean()
        kp["predicted_grade"] = kg["predicted_grade"].agg(_mode)
        voted = keypoints.merge(kp["predicted_grade"].rename("vote").reset_index(), on=KEYS)
        # the morphology of the folds that read the voted grade, so grade and morphology stay one reading
        kp["predicted_morphology"] = (voted[voted["predicted_grade"] == voted["vote"]]
                                      .groupby(KEYS)["predicted_morphology"].agg(_mode))
        out = out.merge(kp.add_prefix("kp_").reset_index(), on=KEYS, how="left")
    if heights is not None and len(heights):
        mask = heights[heights["status"] == "measured"][[*KEYS, "genant_grade", "genant_morphology"]]
        out = out.merge(mask.rename(columns={"genant_grade": "mask_genant_grade",
                                             "genant_morphology": "mask_genant_morphology"}), on=KEYS, how="left")
    out = out.merge(_top_prototypes(top), on=KEYS, how="left").merge(_top_units(relevance, units), on=KEYS, how="left")
    out = out.assign(threshold=threshold, explain_fold=explain_fold).reindex(columns=PREDICTIONS.names)
    for column in PREDICTIONS.columns:  # a stage the trained run lacks, or a vertebra it did not score
        if column.dtype == "int64":
            out[column.name] = out[column.name].fillna(-1).astype(np.int64)
    return out


def _rows(model: str, fold: int, task: str, y: np.ndarray, values: dict) -> list[dict]:
    return [{"model": model, "fold": fold, "task": task, "n": len(y), "n_positive": int(np.sum(y)),
             "metric": k, "value": float(v)} for k, v in values.items() if k not in ("n", "n_positive", "threshold")]


def metrics(classifier: pd.DataFrame, grades: pd.DataFrame, keypoints: pd.DataFrame, predictions: pd.DataFrame,
            grade_classes: list[int], threshold: float) -> pd.DataFrame:
    """Every model against the grades of the graded vertebrae (schema PREDICT_METRICS), and the keypoints
    against the mask-derived points; without grades only the latter."""
    rows: list[dict] = []
    graded = classifier[classifier["grade"] >= 0]
    for fold, part in graded.groupby("fold"):
        y = part["fracture"].to_numpy(bool)
        rows += _rows("classifier3d", int(fold), "fracture", y, binary_metrics(y, part["probability"], threshold))
    ensemble = predictions[predictions["grade"] >= 0]
    if len(ensemble):
        y = ensemble["fracture"].to_numpy(bool)
        rows += _rows("classifier3d", ENSEMBLE, "fracture", y, binary_metrics(y, ensemble["p_fracture"], threshold))
    classes = set(grade_classes)
    if len(grades):
        for fold, part in grades[grades["grade"].isin(classes)].groupby("fold"):
            rows += _rows("prototypes", int(fold), "grade", part["grade"].to_numpy() > 0,
                          multiclass_metrics(part["grade"], part["predicted_grade"]))
        if "predicted_grade" in ensemble:
            part = ensemble[ensemble["grade"].isin(classes) & (ensemble["predicted_grade"] >= 0)]
            if len(part):
                rows += _rows("prototypes", ENSEMBLE, "grade", part["grade"].to_numpy() > 0,
                              multiclass_metrics(part["grade"], part["predicted_grade"]))
    if len(keypoints):
        pointed = keypoints[keypoints["point_error_mm"].notna()]  # measured vertebrae: no grades needed
        for fold, part in pointed.groupby("fold"):
            rows += _rows("keypoints", int(fold), "points", np.zeros(len(part), bool),
                          {"point_error_mm": part["point_error_mm"].mean()})
        graded_kp = keypoints[keypoints["grade"] >= 0]
        parts = [(int(f), p.rename(columns={"p_fracture": "kp_p_fracture", "p_moderate": "kp_p_moderate"}))
                 for f, p in graded_kp.groupby("fold")]
        if ensemble["kp_p_fracture"].notna().any():
            parts.append((ENSEMBLE, ensemble[ensemble["kp_p_fracture"].notna()]))
        for fold, part in parts:
            for task, column, bound in (("fracture", "kp_p_fracture", 1), ("moderate", "kp_p_moderate", 2)):
                y = part["grade"].to_numpy() >= bound
                rows += _rows("keypoints", fold, task, y, youden_metrics(y, part[column]))
    return pd.DataFrame(rows, columns=["model", "fold", "task", "n", "n_positive", "metric", "value"])
