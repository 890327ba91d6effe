"""Choosing the cases explained one by one."""

import pandas as pd
import pytest

from spinexai.cases import parse_case, select_cases
from spinexai.errors import InputError


def _predictions():
    rows = []
    for fold in (0, 1):
        for i, (fx, p) in enumerate([(True, 0.9), (True, 0.8), (True, 0.2), (True, 0.4), (False, 0.7), (False, 0.1)]):
            rows.append({"subject": "t1", "label": 10 + i, "level": "T", "grade": 2 if fx else 0, "fracture": fx,
                         "fold": fold, "split": "test", "probability": p + fold / 100, "prediction": p >= 0.5})
        rows.append({"subject": f"v{fold}", "label": 20, "level": "L1", "grade": 0, "fracture": False, "fold": fold,
                     "split": "val", "probability": 0.3, "prediction": False})
    return pd.DataFrame(rows)


def test_most_confident_per_fold():
    cases = select_cases(_predictions(), [], {"tp": 1, "fp": 1, "fn": 1})
    fold0 = cases[cases.fold == 0].set_index("outcome")
    assert fold0.loc["TP", "label"] == 10 and fold0.loc["FP", "label"] == 14 and fold0.loc["FN", "label"] == 12
    assert len(cases) == 6 and set(cases.reason) == {"auto"}


def test_listed_cases_use_the_validating_fold():
    cases = select_cases(_predictions(), ["v1:20", "sub-t1_vert-10"], {"tp": 0, "fp": 0, "fn": 0})
    assert cases[["subject", "fold", "reason"]].values.tolist() == [["t1", 0, "listed"], ["v1", 1, "listed"]]


def test_a_listed_case_also_chosen_appears_once():
    cases = select_cases(_predictions(), ["t1:10"], {"tp": 1, "fp": 0, "fn": 0})
    assert len(cases[(cases.fold == 0) & (cases.label == 10)]) == 1


def test_bad_case_names_the_config_key():
    with pytest.raises(InputError, match="cases.list"):
        parse_case("L1")
    with pytest.raises(InputError, match="cases.list.*not scored"):
        select_cases(_predictions(), ["zz:3"], {})
