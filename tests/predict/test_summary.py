"""The predict run's verdict table, its metrics, and the model/input geometry check (no pipeline run)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from spinexai.errors import InputError
from spinexai.io.nifti import write_image
from spinexai.io.tables import PREDICT_METRICS, PREDICTIONS, empty_frame
from spinexai.predict.summary import ENSEMBLE, metrics, vertebra_table
from spinexai.predict.trained import check_inputs


def _classifier(p_by_fold: dict[int, list[float]], grades: list[int]) -> pd.DataFrame:
    rows = []
    for fold, ps in p_by_fold.items():
        for n, (p, g) in enumerate(zip(ps, grades, strict=True)):
            rows.append({"subject": "s", "label": 20 + n, "level": f"L{n + 1}", "grade": g, "fracture": g >= 1,
                         "fold": fold, "split": "predict", "probability": p, "prediction": p >= 0.5})
    return pd.DataFrame(rows)


def _keypoints(grades_by_fold: dict[int, list[int]], morph_by_fold: dict[int, list[str]]) -> pd.DataFrame:
    rows = []
    for fold, gs in grades_by_fold.items():
        for n, g in enumerate(gs):
            rows.append({"subject": "s", "label": 20 + n, "level": f"L{n + 1}", "grade": -1, "fold": fold,
                         "p_fracture": 0.5, "p_moderate": 0.2, "predicted_grade": g,
                         "predicted_morphology": morph_by_fold[fold][n], "ha": 20.0 + fold, "hm": 20.0, "hp": 21.0,
                         "interval_mm": 1.0, "point_error_mm": 1.5 + fold})
    return pd.DataFrame(rows)


def test_verdicts_average_the_folds_and_vote_one_reading():
    classifier = _classifier({0: [0.2, 0.9], 1: [0.4, 0.7]}, [-1, -1])
    keypoints = _keypoints({0: [0, 2], 1: [0, 2], 2: [1, 1]}, {0: ["normal", "wedge"], 1: ["crush", "wedge"],
                                                               2: ["wedge", "crush"]})
    table = vertebra_table(classifier, pd.DataFrame(), keypoints, pd.DataFrame(), pd.DataFrame(), None, 0.5, 0)
    assert table["p_fracture"].tolist() == pytest.approx([0.3, 0.8])
    assert table["p_fracture_sd"].tolist() == pytest.approx([0.1, 0.1])
    assert table["prediction"].tolist() == [False, True] and table["folds"].tolist() == [2, 2]
    assert table["kp_predicted_grade"].tolist() == [0, 2]
    # the morphology comes from the folds that read the voted grade (fold 2's 'crush' for L2 does not count)
    assert table["kp_predicted_morphology"].tolist()[1] == "wedge"
    assert table["kp_ha"].tolist() == pytest.approx([21.0, 21.0])
    assert list(table.columns) == PREDICTIONS.names
    assert (table["predicted_grade"] == -1).all() and (table["mask_genant_grade"] == -1).all()  # not in the inputs


def test_metrics_need_grades_except_the_points():
    classifier = _classifier({0: [0.2, 0.9]}, [-1, -1])
    keypoints = _keypoints({0: [0, 2]}, {0: ["normal", "wedge"]})
    table = vertebra_table(classifier, pd.DataFrame(), keypoints, pd.DataFrame(), pd.DataFrame(), None, 0.5, 0)
    out = metrics(classifier, pd.DataFrame(), keypoints, table, [0, 2, 3], 0.5)
    assert set(out["task"]) == {"points"} and out["value"].tolist() == pytest.approx([1.5])
    assert list(out.columns) == PREDICT_METRICS.names


def test_metrics_with_grades_score_every_fold_and_the_mean():
    classifier = _classifier({0: [0.2, 0.9, 0.1, 0.6], 1: [0.4, 0.7, 0.3, 0.2]}, [0, 2, 0, 1])
    table = vertebra_table(classifier, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), None, 0.5, 0)
    out = metrics(classifier, pd.DataFrame(), pd.DataFrame(), table, [0, 2, 3], 0.5)
    auc = out[(out["metric"] == "auc")].set_index("fold")["value"]
    assert auc[0] == pytest.approx(1.0) and auc[1] == pytest.approx(0.5) and auc[ENSEMBLE] == pytest.approx(1.0)
    assert (out["n"] == 4).all() and (out["n_positive"] == 2).all()


def test_check_inputs_names_the_card_the_table_and_both_geometries(tmp_path):
    model = tmp_path / "run" / "classifier3d" / "fold0" / "model.pt"
    model.parent.mkdir(parents=True)
    model.write_bytes(b"")
    (model.with_suffix(".json")).write_text(json.dumps({
        "format": 1, "kind": "classifier3d", "params": {},
        "inputs": {"ct_patch": {"shape": [96, 96, 96], "spacing_mm": [1.0, 1.0, 1.0]}}}))
    patch = tmp_path / "new" / "patch.nii.gz"
    patch.parent.mkdir()
    write_image(patch, np.zeros((64, 64, 64), np.int16), np.diag([1.0, 1.0, 1.0, 1.0]))
    rows = pd.DataFrame({"ct_patch": [str(patch)]})
    with pytest.raises(InputError) as err:
        check_inputs(model, rows, tmp_path / "new" / "patches.parquet")
    message = str(err.value)
    assert "model.json: field 'inputs.ct_patch'" in message and "patches.parquet" in message
    assert "96x96x96 voxels of 1x1x1 mm" in message and "64x64x64 voxels of 1x1x1 mm" in message
    write_image(patch, np.zeros((96, 96, 96), np.int16), np.diag([1.0, 1.0, 1.0, 1.0]))
    assert check_inputs(model, rows, "patches.parquet")["kind"] == "classifier3d"


def test_empty_predictions_have_the_schema():
    assert list(empty_frame(PREDICTIONS).columns) == PREDICTIONS.names
