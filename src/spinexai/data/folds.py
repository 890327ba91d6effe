"""Patient-level folds: a held-out test set, then K cross-validation folds, stratified by fracture status."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold, train_test_split

from spinexai.errors import InputError


def subject_table(patches: pd.DataFrame) -> pd.DataFrame:
    """One row per subject with its included vertebrae and fractures."""
    inc = patches[patches["status"] == "included"]
    table = inc.groupby("subject").agg(n_vertebrae=("label", "size"), n_fractures=("fracture", "sum")).reset_index()
    table["has_fracture"] = table["n_fractures"] > 0
    return table


def make_folds(patches: pd.DataFrame, *, n_folds: int, test_fraction: float, seed: int, source: str = "patches") -> pd.DataFrame:
    """Assign each subject with included vertebrae to the test set or to one of ``n_folds`` folds.

    Raises:
        InputError: fewer subjects than folds, or fewer fractured subjects than folds (a fold without
            a fracture cannot be validated).
    """
    subjects = subject_table(patches)
    if n_folds < 2:
        raise InputError(source, "folds.n_folds", f"need at least 2 folds, got {n_folds}")
    strata = subjects["has_fracture"].to_numpy()
    subjects["split"], subjects["fold"] = "cv", -1
    cv_index = np.arange(len(subjects))
    if test_fraction > 0:
        n_test = int(round(test_fraction * len(subjects)))
        if n_test >= 1:
            stratify = strata if min(strata.sum(), (~strata).sum()) >= 2 else None
            cv_index, test_index = train_test_split(cv_index, test_size=n_test, random_state=seed, stratify=stratify)
            subjects.loc[test_index, "split"] = "test"
    cv_strata = strata[cv_index]
    if len(cv_index) < n_folds:
        raise InputError(source, "folds.n_folds", f"{len(cv_index)} cross-validation subjects for {n_folds} folds; "
                                                  "lower folds.n_folds or folds.test_fraction, or add subjects")
    if cv_strata.sum() < n_folds:
        raise InputError(source, "fracture", f"only {int(cv_strata.sum())} cross-validation subjects have a fracture, "
                                             f"so some of the {n_folds} folds would have none; lower folds.n_folds or add data")
    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for fold, (_, val) in enumerate(splitter.split(cv_index, cv_strata)):
        subjects.loc[cv_index[val], "fold"] = fold
    return subjects.sort_values("subject").reset_index(drop=True)


def fold_parts(rows: pd.DataFrame, folds: pd.DataFrame, fold: int) -> dict[str, pd.DataFrame]:
    """``rows`` of the fold's training subjects (the other CV folds), validation subjects (this fold) and
    the held-out test subjects, each with the subject's ``split`` and ``fold`` and a fresh index."""
    merged = rows.merge(folds[["subject", "split", "fold"]], on="subject", suffixes=("", "_of_subject"))
    cv = merged["split"] == "cv"
    return {"train": merged[cv & (merged["fold"] != fold)].reset_index(drop=True),
            "val": merged[cv & (merged["fold"] == fold)].reset_index(drop=True),
            "test": merged[merged["split"] == "test"].reset_index(drop=True)}
