"""What the reader kit shows: the G2/G3 test cases of one fold's main-arm model, their images, the
heatmaps of their top-3 prototypes and the prototypes' source patches."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spinexai.data.images2d import graded_rows
from spinexai.data.tensors import load_sagittal_stack
from spinexai.errors import InputError
from spinexai.io.tables import TableSchema, read_table
from spinexai.labels import case_id
from spinexai.prototypes.figures import upsample
from spinexai.prototypes.params import ProtoParams


@dataclass
class KitInputs:
    fold: int
    cases: pd.DataFrame
    top: pd.DataFrame
    images: np.ndarray
    heats: np.ndarray
    projection: pd.DataFrame
    projection_images: np.ndarray


def choose_fold(metrics: list[pd.DataFrame], params: ProtoParams) -> int:
    """The configured fold, or the one whose model has the best validation class-average F1."""
    table = pd.concat(metrics, ignore_index=True)
    if params.reader_fold >= 0:
        if params.reader_fold not in set(table["fold"]):
            raise InputError("config", "prototypes.reader_fold", f"no fold {params.reader_fold}")
        return params.reader_fold
    val = table[table["split"] == "val"].sort_values(["class_f1", "fold"], ascending=[False, True], na_position="last")
    return int(val["fold"].iloc[0]) if len(val) else int(table["fold"].min())


def reader_kit_inputs(patches: pd.DataFrame, metrics: list[pd.DataFrame], tops: list[str], maps: list[str],
                      projections: list[str], params: ProtoParams, top_schema: TableSchema,
                      projection_schema: TableSchema) -> KitInputs:
    """``tops``, ``maps`` and ``projections`` are the main arm's per-fold files, in fold order."""
    fold = choose_fold(metrics, params)
    top = read_table(tops[fold], top_schema)
    arrays = np.load(maps[fold])
    rows = graded_rows(patches, params.grades)
    test = top[top["split"] == "test"].merge(rows[["subject", "label", "level", "grade", "sag_ct", "sag_heatmap"]],
                                             on=["subject", "label"])
    test = test[test["grade"] >= 2].copy()
    test["case"] = [case_id(s, lab) for s, lab in zip(test["subject"], test["label"], strict=True)]
    cases = test.drop_duplicates("case").sort_values(["subject", "label"]).reset_index(drop=True)
    index = {(s, int(lab)): n for n, (s, lab) in enumerate(zip(arrays["test_subject"], arrays["test_label"], strict=True))}
    heats = np.zeros((len(cases), 3, params.input_size, params.input_size), np.float32)
    for n, case in enumerate(cases.itertuples()):
        mine = test[test["case"] == case.case].sort_values("rank")
        maps_n = arrays["test_similarity"][index[(case.subject, int(case.label))]]
        heats[n, :len(mine)] = upsample(maps_n[mine["prototype"].to_numpy()], params.input_size)
    images = load_sagittal_stack(cases, params.input_size).float().numpy()[:, 0] if len(cases) else np.zeros((0,))
    return KitInputs(fold, cases[["case", "subject", "label", "level", "grade"]], test, images, heats,
                     read_table(projections[fold], projection_schema), arrays["projection_images"])
