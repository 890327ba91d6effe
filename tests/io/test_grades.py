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


def test_long_table_label_outside_the_verse_numbering(tmp_path):
    (tmp_path / "l.csv").write_text("subject,label,grade\ns1,20,1\ns1,40,1\n")
    with pytest.raises(InputError, match=r"l.csv: field 'row 3: label': label 40 is outside the VerSe numbering"):
        read_long_grades(tmp_path / "l.csv")


def test_wide_sheet_level_outside_the_verse_numbering(tmp_path):
    (tmp_path / "w.csv").write_text("subject_ID,L1_fx-g,L7_fx-g\ns1,2,0\n")
    with pytest.raises(InputError, match=r"w.csv: field 'L7_fx-g': level 'L7' is outside the VerSe numbering"):
        read_wide_grades(tmp_path / "w.csv")


def _book(path, sheets):
    with pd.ExcelWriter(path) as writer:
        for name, table in sheets.items():
            table.to_excel(writer, sheet_name=name, index=False)


GRADES = pd.DataFrame({"subject_ID": ["s1"], "L1_fx-g": ["2"]})
LONG = pd.DataFrame({"subject": ["s1"], "label": ["L2"], "grade": ["0"]})
NOTE = pd.DataFrame({"note": ["read me"]})


@pytest.mark.parametrize("sheets, sheet_name, labels", [
    ({"note": NOTE, "grades": GRADES}, None, [20]),  # the only sheet with grade columns
    ({"note": NOTE, "long": LONG}, None, [21]),
    ({"wide": GRADES, "long": LONG}, "long", [21]),  # dataset.grade_sheet picks one
])
def test_workbook_sheet_with_grade_columns(tmp_path, sheets, sheet_name, labels):
    _book(tmp_path / "g.xlsx", sheets)
    assert read_grades([tmp_path / "g.xlsx"], sheet_name).label.tolist() == labels


@pytest.mark.parametrize("sheets, sheet_name, message", [
    ({"note": NOTE, "more": NOTE}, None, r"field 'dataset.grade_sheet': no sheet has grade columns.*'note' \(columns \['note'\]\)"),
    ({"wide": GRADES, "long": LONG}, None, r"field 'dataset.grade_sheet': sheets \['wide', 'long'\] all have grade columns"),
    ({"wide": GRADES}, "Wide", r"field 'dataset.grade_sheet': no sheet named 'Wide'; the sheets are \['wide'\]"),
    ({"note": NOTE}, None, r"field 'subject'.*missing column; columns are \['note'\]"),
])
def test_workbook_without_one_clear_grade_sheet(tmp_path, sheets, sheet_name, message):
    _book(tmp_path / "g.xlsx", sheets)
    with pytest.raises(InputError, match=r"g.xlsx: " + message):
        read_grades([tmp_path / "g.xlsx"], sheet_name)


def test_openpyxl_uses_defusedxml():
    """Untrusted .xlsx files are parsed with XML-bomb protection (defusedxml is a package dependency)."""
    from openpyxl.xml import DEFUSEDXML
    assert DEFUSEDXML
