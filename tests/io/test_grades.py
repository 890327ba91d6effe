import pandas as pd
import pytest

from spinexai.errors import InputError
from spinexai.io.grades import read_grades, read_long_grades, read_wide_grades


def test_wide_sheet_csv_and_xlsx(tmp_path):
    sheet = pd.DataFrame({"verse_ID": ["verse004", "verse005"], "subject_ID": ["verse004", "sub-verse005"],
                          "N_Fx": [1, 0], "T12_fx-g": ["0", ""], "L1_fx-g": ["2", "0"], "L2_fx-g": ["x", "0"]})
    sheet.to_csv(tmp_path / "g.csv", index=False)
    sheet.to_excel(tmp_path / "g.xlsx", index=False)
    for name in ("g.csv", "g.xlsx"):
        table = read_wide_grades(tmp_path / name)
        got = {(r.subject, r.label): r.grade for r in table.itertuples()}
        assert got == {("verse004", 19): 0, ("verse004", 20): 2, ("verse004", 21): -1,
                       ("verse005", 20): 0, ("verse005", 21): 0}


def test_long_table_with_level_names(tmp_path):
    (tmp_path / "l.csv").write_text("subject,label,grade,morphology\ns1,L1,3,wedge\ns1,21,0,normal\n")
    table = read_long_grades(tmp_path / "l.csv")
    assert table.set_index("label").loc[20, "morphology"] == "wedge"


def test_long_table_bad_morphology(tmp_path):
    (tmp_path / "l.csv").write_text("subject,label,grade,morphology\ns1,L1,3,squashed\n")
    with pytest.raises(InputError, match="l.csv.*morphology.*squashed"):
        read_long_grades(tmp_path / "l.csv")


def test_wide_and_long_must_agree(tmp_path):
    (tmp_path / "w.csv").write_text("subject_ID,L1_fx-g\ns1,2\n")
    (tmp_path / "l.csv").write_text("subject,label,grade\ns1,20,3\n")
    with pytest.raises(InputError, match="disagrees"):
        read_grades([tmp_path / "w.csv", tmp_path / "l.csv"])


def test_sheet_without_subject_column(tmp_path):
    (tmp_path / "w.csv").write_text("name,L1_fx-g\ns1,2\n")
    with pytest.raises(InputError, match="w.csv.*subject_ID"):
        read_wide_grades(tmp_path / "w.csv")


def test_duplicate_grade(tmp_path):
    (tmp_path / "l.csv").write_text("subject,label,grade\ns1,20,1\ns1,L1,1\n")
    with pytest.raises(InputError, match="more than one grade"):
        read_long_grades(tmp_path / "l.csv")
