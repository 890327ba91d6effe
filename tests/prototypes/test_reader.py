"""The reader-study scorer: 2 of 3 'yes' per case, per rater and grade; clear errors for bad forms."""

import pandas as pd
import pytest

from spinexai.errors import InputError
from spinexai.prototypes.reader import main, score_forms

CASES = pd.DataFrame({"case": ["a", "b", "c"], "subject": ["s1", "s1", "s2"], "label": [20, 21, 19],
                      "level": ["L1", "L2", "T12"], "grade": [2, 3, 3]})


def _form(tmp_path, name, relevant, similar):
    rows = [{"case": c, "rank": r + 1, "relevant": relevant[n][r], "similar": similar[n][r]}
            for n, c in enumerate(CASES.case) for r in range(3)]
    path = tmp_path / f"{name}.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_scores_per_grade_and_total(tmp_path):
    form = _form(tmp_path, "rater1", relevant=[["yes", "yes", "no"], ["no", "no", "yes"], ["yes", "y", "yes"]],
                 similar=[["no", "no", "no"], ["yes", "yes", "yes"], ["", "", ""]])
    table = score_forms([form], CASES).set_index(["question", "grade"])
    assert table.loc[("relevant", "G2"), "fraction_yes"] == 1.0
    assert table.loc[("relevant", "G3"), "fraction_yes"] == 0.5
    assert table.loc[("relevant", "total"), "fraction_yes"] == pytest.approx(2 / 3)
    # case c is unanswered for 'similar': counted apart, not as 'no'
    assert table.loc[("similar", "G3"), "fraction_yes"] == 1.0 and table.loc[("similar", "G3"), "unanswered"] == 1
    assert table.loc[("similar", "total"), "cases"] == 2


def test_bad_answer_names_file_column_and_row(tmp_path):
    form = _form(tmp_path, "rater2", relevant=[["yes", "maybe", "no"], ["no"] * 3, ["no"] * 3], similar=[["no"] * 3] * 3)
    with pytest.raises(InputError, match=r"rater2.csv: field 'relevant': row 3: 'maybe'"):
        score_forms([form], CASES)


def test_command_line_scores_and_writes(tmp_path, capsys):
    (tmp_path / "forms").mkdir()
    CASES.to_csv(tmp_path / "cases.csv", index=False)
    form = _form(tmp_path / "forms", "rater1", relevant=[["yes"] * 3] * 3, similar=[["no"] * 3] * 3)
    main(["score", str(form), "--out", str(tmp_path / "table4.csv")])
    table = pd.read_csv(tmp_path / "table4.csv")
    assert set(table.grade) == {"G2", "G3", "total"} and "rater1" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="not a case of this reader kit"):
        bad = tmp_path / "forms/bad.csv"
        pd.DataFrame([{"case": "zzz", "relevant": "yes", "similar": "no"}]).to_csv(bad, index=False)
        main(["score", str(bad), "--out", str(tmp_path / "t.csv")])
