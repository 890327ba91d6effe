"""The rest of the bad-input matrix (issue 19): each case gives one clear error naming the file and the
field, or an exclusion with the true reason; nothing is dropped without a line in the log or the tables."""

import json
import logging
import re
import shutil

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from spinexai.data.ingest import IngestParams, ingest
from spinexai.errors import InputError
from spinexai.geometry.reformat import ReformatParams, reformat_subject

SUB = "synth000"


def _paths(root, subject=SUB):
    return {"ct": root / "rawdata" / f"sub-{subject}" / f"sub-{subject}_ct.nii.gz",
            "mask": root / "derivatives" / f"sub-{subject}" / f"sub-{subject}_seg-vert_msk.nii.gz",
            "ctd": root / "derivatives" / f"sub-{subject}" / f"sub-{subject}_seg-subreg_ctd.json"}


# -- the cases: each changes the dataset and returns (subject, label) of the row that must say why ----------------

def _mask_label_40(root):
    path = _paths(root)["mask"]
    img = nib.load(path)
    data = np.asanyarray(img.dataobj).copy()
    data[:3, :3, :3] = 40
    nib.save(nib.Nifti1Image(data, img.affine, img.header), str(path))
    return SUB, 40


def _centroid_label_40(root):
    entries = json.loads(_paths(root)["ctd"].read_text())
    entries.append({"label": 40, "X": 10.0, "Y": 10.0, "Z": 10.0})
    _paths(root)["ctd"].write_text(json.dumps(entries))
    return SUB, 40


def _long_grade_label_40(root):
    with open(root / "fracture_morphology.csv", "a") as fh:
        fh.write(f"{SUB},40,2,wedge\n")


def _wide_grade_level_t14(root):
    sheet = pd.read_csv(root / "fracture_grading.csv", dtype=str)
    sheet["T14_fx-g"] = "0"
    sheet.to_csv(root / "fracture_grading.csv", index=False)


def _not_graded(root):
    for name in ("fracture_grading.csv", "fracture_morphology.csv"):
        table = pd.read_csv(root / name, dtype=str, keep_default_na=False)
        key = "subject_ID" if "subject_ID" in table else "subject"
        table[table[key] != SUB].to_csv(root / name, index=False)
    return SUB, -1


def _no_centroid_file(root):
    _paths(root)["ctd"].unlink()


def _workbook(root, sheets):
    grading = pd.read_csv(root / "fracture_grading.csv", dtype=str, keep_default_na=False)
    (root / "fracture_grading.csv").unlink()
    with pd.ExcelWriter(root / "fracture_grading.xlsx") as writer:
        for name, table in sheets(grading).items():
            table.to_excel(writer, sheet_name=name, index=False)


def _xlsx_note_first(root):
    _workbook(root, lambda g: {"README": pd.DataFrame({"note": ["grades by reader 2, 2024"]}), "grades": g})


def _xlsx_two_grade_sheets(root):
    _workbook(root, lambda g: {"README": pd.DataFrame({"note": ["x"]}), "reader1": g, "reader2": g})


def _xlsx_no_grade_sheet(root):
    _workbook(root, lambda g: {"README": pd.DataFrame({"note": ["x"]}), "other": g.drop(columns="subject_ID")
                               .rename(columns=lambda c: c.replace("_fx-g", ""))})


def _renamed_ct(new_name, folder=None):
    """Move the CT of SUB to ``rawdata/<folder>/<new_name>`` and grade the subject by the ID in the new name."""
    def change(root):
        old = _paths(root)["ct"]
        target = root / "rawdata" / (folder if folder is not None else f"sub-{new_name[4:].split('_')[0]}") / new_name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(old, target)
        if not any(old.parent.iterdir()):
            old.parent.rmdir()
        return target
    return change


def _bad_id(subject):
    def change(root):
        target = _renamed_ct(f"sub-{subject}_ct.nii.gz")(root)
        for name in ("fracture_grading.csv", "fracture_morphology.csv"):
            (root / name).write_text((root / name).read_text().replace(SUB, subject))
        return target
    return change


def _extra_file(relative):
    def change(root):
        target = root / "rawdata" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(_paths(root)["ct"], target)
        return target
    return change


ERRORS = {
    "long grade table label 40": (_long_grade_label_40, {}, r"fracture_morphology.csv: field 'row \d+: label'.*label 40 is outside"),
    "wide grade column T14": (_wide_grade_level_t14, {}, r"fracture_grading.csv: field 'T14_fx-g'.*outside the VerSe"),
    "xlsx with two grade sheets": (_xlsx_two_grade_sheets, {}, r"fracture_grading.xlsx: field 'dataset.grade_sheet'.*"
                                                               r"\['reader1', 'reader2'\].*set dataset.grade_sheet"),
    "xlsx without a grade sheet": (_xlsx_no_grade_sheet, {}, r"fracture_grading.xlsx: field 'dataset.grade_sheet'.*"
                                                             r"'README' \(columns \['note'\]\).*'other'"),
    "xlsx sheet not found": (_xlsx_note_first, {"grade_sheet": "Grades"},
                             r"fracture_grading.xlsx: field 'dataset.grade_sheet'.*no sheet named 'Grades'.*\['README', 'grades'\]"),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_bad_input_is_one_clear_error(dataset, case):
    change, kwargs, message = ERRORS[case]
    change(dataset)
    with pytest.raises(InputError, match=message) as err:
        ingest(dataset, IngestParams(), **kwargs)
    assert "\n" not in str(err.value)


EXCLUSIONS = {
    "mask label 40": (_mask_label_40, r"^mask label 40 in sub-synth000_seg-vert_msk.nii.gz is outside the VerSe numbering"),
    "centroid label 40": (_centroid_label_40, r"^label 40 \(entry \[\d+\]\) is outside the VerSe numbering .* in "
                                              r"sub-synth000_seg-subreg_ctd.json$"),
    "subject not graded": (_not_graded, r"^no vertebra included: (\d+) x not graded in any grade table"),
}


@pytest.mark.parametrize("case", list(EXCLUSIONS))
def test_bad_input_is_an_exclusion_with_the_true_reason(dataset, case, tmp_path):
    change, reason = EXCLUSIONS[case]
    subject, label = change(dataset)
    manifest, excluded = ingest(dataset, IngestParams())
    row = excluded[(excluded.subject == subject) & (excluded.label == label)]
    assert len(row) == 1 and re.search(reason, row.reason.iloc[0]), row.reason.tolist()
    others = manifest[(manifest.subject != subject) | (manifest.label != label)]
    if label > 0:  # the rest of the subject is unaffected and reformats
        assert (others[others.subject == subject].status == "included").any()
        reformat_subject(manifest[manifest.subject == subject], tmp_path, ReformatParams(patch_size=32, sagittal_size=32))


def test_subject_reason_counts_every_cause(dataset):
    _not_graded(dataset)
    manifest, excluded = ingest(dataset, IngestParams())
    reason = excluded[(excluded.subject == SUB) & (excluded.label == -1)].reason.iloc[0]
    counts = [int(n) for n in re.findall(r"(?:: |; )(\d+) x ", reason)]
    assert sum(counts) == (manifest.subject == SUB).sum()


@pytest.mark.parametrize("name,folder,why", [
    ("sub-synth 000_ct.nii.gz", None, r"subject ID 'synth 000' .* characters ' '"),
    ("sub-synthé000_ct.nii.gz", None, r"subject ID 'synthé000' .* characters 'é'"),
    ("sub-synth..000_ct.nii.gz", None, r"subject ID 'synth..000' .* characters '\.'"),
    ("sub-synth000_CT.nii.gz", "sub-synth000", r"does not end in '_ct.nii.gz'"),
    ("sub-synth000_dir-a x_ct.nii.gz", "sub-synth000", r"entities '_dir-a x'"),
    ("sub-synth000_ct.nii.gz", "", r"not directly in a subject folder"),
])
def test_unusable_ct_files_are_listed_with_the_reason(dataset, caplog, name, folder, why):
    target = _renamed_ct(name, folder)(dataset)
    with caplog.at_level(logging.INFO, logger="spinexai"):
        manifest, excluded = ingest(dataset, IngestParams())
    row = excluded[excluded.file == str(target)]
    assert len(row) == 1 and row.label.iloc[0] == -1
    assert re.search(r"^CT-like file under rawdata cannot be used: .*" + why, row.reason.iloc[0]), row.reason.iloc[0]
    assert "1 CT-like files under rawdata cannot be used" in caplog.text and str(target) in caplog.text
    assert SUB not in set(manifest.subject)


@pytest.mark.parametrize("subject", ["synth 000", "synthé000", "synth..000"])
def test_graded_subject_with_an_unusable_ct_name_says_so(dataset, subject):
    target = _bad_id(subject)(dataset)
    _, excluded = ingest(dataset, IngestParams())
    reason = excluded[(excluded.subject == subject) & (excluded.file != str(target))].reason.iloc[0]
    assert reason.startswith(f"graded subject's CT cannot be used: {target.name}: subject ID {subject!r}")


@pytest.mark.parametrize("relative", ["._sub-synth000_ct.nii.gz", "sub-synth000/._sub-synth000_ct.nii.gz",
                                      "sub-synth000/sub-synth000_ct.nii.gz.bak"])
def test_stray_ct_like_files_are_listed_and_the_subject_still_used(dataset, relative):
    target = _extra_file(relative)(dataset)
    manifest, excluded = ingest(dataset, IngestParams())
    assert "cannot be used" in excluded[excluded.file == str(target)].reason.iloc[0]
    assert (manifest[manifest.subject == SUB].status == "included").any()


def test_no_usable_ct_names_the_unusable_files(tmp_path):
    (tmp_path / "rawdata" / "sub-a b").mkdir(parents=True)
    (tmp_path / "rawdata" / "sub-a b" / "sub-a b_ct.nii.gz").write_bytes(b"")
    with pytest.raises(InputError, match=r"rawdata.*no CT images.*1 CT-like files cannot be used.*sub-a b_ct.nii.gz: subject ID 'a b'"):
        ingest(tmp_path, IngestParams())


def test_xlsx_whose_first_sheet_is_a_note_uses_the_grade_sheet(dataset, caplog):
    _xlsx_note_first(dataset)
    with caplog.at_level(logging.INFO, logger="spinexai"):
        manifest, _ = ingest(dataset, IngestParams())
    assert "reading sheet 'grades'" in caplog.text
    assert (manifest[manifest.subject == SUB].grade >= 0).any() and (manifest.status == "included").any()


def test_grade_sheet_picks_one_of_several(dataset):
    _xlsx_two_grade_sheets(dataset)
    manifest, _ = ingest(dataset, IngestParams(), grade_sheet="reader2")
    assert (manifest.status == "included").any()


def test_missing_centroid_file_is_said_in_the_log_and_the_manifest(dataset, caplog):
    _no_centroid_file(dataset)
    with caplog.at_level(logging.INFO, logger="spinexai"):
        manifest, _ = ingest(dataset, IngestParams())
    mine = manifest[manifest.subject == SUB]
    assert set(mine.centroid_source) == {"mask"} and set(manifest[manifest.subject != SUB].centroid_source) <= {"json", ""}
    assert "1 subjects have no centroid file" in caplog.text and "centred on mask centres" in caplog.text
    assert f"{SUB}: no centroid file (sub-{SUB}_seg-subreg_ctd.json" in caplog.text


def test_report_counts_vertebrae_centred_on_mask_centres(dataset, tmp_path):
    from spinexai.io.tables import MANIFEST, write_table
    from spinexai.report.build import Report, ReportInputs
    from spinexai.report.sections.dataset import dataset_section

    _no_centroid_file(dataset)
    manifest, _ = ingest(dataset, IngestParams())
    write_table(manifest, tmp_path / "manifest.parquet", MANIFEST)
    report = Report(ReportInputs(results=tmp_path, config={}, manifest=tmp_path / "manifest.parquet"), tmp_path / "report")
    summary = dataset_section(report).blocks[0].table.set_index("")["count"]
    assert summary["vertebrae centred on mask centres (no centroid file)"] == (manifest.centroid_source == "mask").sum() > 0
