"""Which vertebrae get a case-by-case explanation: a config list plus a few TP, FP and FN per fold."""

from __future__ import annotations

import re

import pandas as pd

from spinexai.errors import InputError

CASE_PATTERN = re.compile(r"^(?:sub-)?([A-Za-z0-9]+)[:/_](?:vert-)?(\d+)$")


def outcome(fracture: pd.Series, prediction: pd.Series) -> pd.Series:
    names = {(True, True): "TP", (False, True): "FP", (True, False): "FN", (False, False): "TN"}
    return pd.Series([names[(bool(f), bool(p))] for f, p in zip(fracture, prediction, strict=True)],
                     index=fracture.index, dtype=object)


def parse_case(text: str) -> tuple[str, int]:
    """``"verse004:20"``, ``"sub-verse004_vert-20"`` or ``"verse004/20"`` -> (subject, label)."""
    match = CASE_PATTERN.match(str(text).strip())
    if not match:
        raise InputError("config", "cases.list", f"'{text}' is not 'subject:label' (e.g. 'verse004:20')")
    return match.group(1), int(match.group(2))


def select_cases(predictions: pd.DataFrame, listed: list[str], per_fold: dict[str, int],
                 split: str = "test") -> pd.DataFrame:
    """Cases to explain, one row per (fold, vertebra).

    Per fold, on ``split`` (falling back to 'val' when the fold scored nothing there): the ``per_fold['tp']``
    most confident true positives, the ``['fp']`` most confident false positives and the ``['fn']`` most
    confidently missed fractures. A listed vertebra is explained by the fold model that validated it, or
    by fold 0 when it belongs to the held-out test set.
    """
    scored = predictions.assign(outcome=outcome(predictions["fracture"], predictions["prediction"]))
    chosen = []
    for fold, rows in scored.groupby("fold"):
        pool = rows[rows["split"] == split]
        if pool.empty:
            pool = rows[rows["split"] == "val"]
        for kind, ascending in (("TP", False), ("FP", False), ("FN", True)):
            n = int(per_fold.get(kind.lower(), 0))
            picked = pool[pool["outcome"] == kind].sort_values(["probability", "subject", "label"],
                                                              ascending=[ascending, True, True]).head(n)
            chosen.append(picked.assign(reason="auto", fold=fold))
    for text in listed:
        subject, label = parse_case(text)
        rows = scored[(scored["subject"] == subject) & (scored["label"] == label)]
        if rows.empty:
            raise InputError("config", "cases.list", f"'{text}': vertebra {label} of subject {subject} was not scored "
                                                     "(excluded, or not in the dataset)")
        val = rows[rows["split"] == "val"]
        pick = val if len(val) else rows.sort_values("fold").head(1)
        chosen.append(pick.head(1).assign(reason="listed"))
    cases = pd.concat(chosen, ignore_index=True) if chosen else scored.head(0).assign(reason="")
    # A vertebra both listed and picked automatically for the same fold appears once, as listed.
    cases = cases.sort_values("reason", ascending=False).drop_duplicates(["fold", "subject", "label"])
    return cases.sort_values(["fold", "subject", "label"]).reset_index(drop=True)
