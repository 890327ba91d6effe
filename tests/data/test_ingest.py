"""Ingest on the synthetic dataset and the bad-input matrix: a clear error or a recorded exclusion."""

import json
import shutil

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from scipy import ndimage

from spinexai.data.folds import make_folds
from spinexai.data.ingest import IngestParams, ingest, mask_centres
from spinexai.errors import InputError
from spinexai.geometry.reformat import ReformatParams, reformat_subject
from spinexai.io.nifti import ImageHeader

SUB = "synth000"


def _paths(root, subject=SUB):
    return {"ct": root / "rawdata" / f"sub-{subject}" / f"sub-{subject}_ct.nii.gz",
            "mask": root / "derivatives" / f"sub-{subject}" / f"sub-{subject}_seg-vert_msk.nii.gz",
            "ctd": root / "derivatives" / f"sub-{subject}" / f"sub-{subject}_seg-subreg_ctd.json"}


def _reason(excluded, label):
    return excluded[(excluded.subject == SUB) & (excluded.label == label)].reason.iloc[0]


def test_synthetic_ingest_has_every_vertebra_once(dataset):
    manifest, excluded = ingest(dataset, IngestParams())
    assert not manifest.duplicated(["subject", "label"]).any()
    grades = pd.read_csv(dataset / "fracture_morphology.csv")
    assert len(grades.merge(manifest, on=["subject", "label"])) == len(grades)
    assert set(excluded.reason) <= set(manifest.reason) | {""}
    assert (manifest.status == "included").sum() > 10


def test_corrupt_gzip(dataset):
    _paths(dataset)["ct"].write_bytes(b"\x1f\x8b\x08\x00 not a gzip stream" * 20)
    with pytest.raises(InputError, match=f"sub-{SUB}_ct.nii.gz"):
        ingest(dataset, IngestParams())


def test_truncated_ct_fails_at_reformat_naming_the_file(dataset, tmp_path):
    manifest, _ = ingest(dataset, IngestParams())
    path = _paths(dataset)["ct"]
    import gzip
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[: len(raw) // 3]))
    with pytest.raises(InputError, match=f"sub-{SUB}_ct.nii.gz.*truncated"):
        reformat_subject(manifest[manifest.subject == SUB], tmp_path, ReformatParams(patch_size=32, sagittal_size=32))


def test_4d_ct(dataset):
    img = nib.load(_paths(dataset)["ct"])
    data = np.asanyarray(img.dataobj)
    nib.save(nib.Nifti1Image(np.stack([data, data], -1), img.affine), str(_paths(dataset)["ct"]))
    with pytest.raises(InputError, match="_ct.nii.gz.*3D"):
        ingest(dataset, IngestParams())


def test_degenerate_affine(dataset):
    img = nib.load(_paths(dataset)["ct"])
    bad = img.affine.copy()
    bad[:3, 1] = bad[:3, 0]
    out = nib.Nifti1Image(np.asanyarray(img.dataobj), None)
    out.set_sform(bad, code=1)
    nib.save(out, str(_paths(dataset)["ct"]))
    with pytest.raises(InputError, match="_ct.nii.gz.*affine"):
        ingest(dataset, IngestParams())


def test_missing_centroid_file_uses_mask_centres(dataset):
    _paths(dataset)["ctd"].unlink()
    manifest, _ = ingest(dataset, IngestParams())
    mine = manifest[manifest.subject == SUB]
    assert set(mine.centroid_source) == {"mask"}
    assert (mine.status == "included").any()


def test_missing_centroid_file_and_mask_is_recorded(dataset):
    _paths(dataset)["ctd"].unlink()
    _paths(dataset)["mask"].unlink()
    manifest, excluded = ingest(dataset, IngestParams())
    assert (manifest[manifest.subject == SUB].status == "excluded").all()
    subject_row = excluded[(excluded.subject == SUB) & (excluded.label == -1)]
    assert "no centroid file" in subject_row.reason.iloc[0]


def _edit_centroid(dataset, change):
    entries = json.loads(_paths(dataset)["ctd"].read_text())
    label = entries[2]["label"]
    change(entries[2])
    _paths(dataset)["ctd"].write_text(json.dumps(entries))
    return label


def test_nan_centroid(dataset):
    label = _edit_centroid(dataset, lambda e: e.update(X=float("nan")))
    manifest, excluded = ingest(dataset, IngestParams())
    assert "NaN" in _reason(excluded, label)


def test_centroid_outside_the_volume(dataset):
    label = _edit_centroid(dataset, lambda e: e.update(X=-500.0))
    _, excluded = ingest(dataset, IngestParams())
    assert "outside the CT volume" in _reason(excluded, label)


def test_mask_on_a_different_grid_is_sampled_on_its_own_grid(dataset, tmp_path):
    path = _paths(dataset)["mask"]
    img = nib.load(path)
    codes = ("L", "P", "I") if nib.aff2axcodes(img.affine) != ("L", "P", "I") else ("R", "A", "S")
    to_target = nib.orientations.ornt_transform(nib.orientations.io_orientation(img.affine),
                                                nib.orientations.axcodes2ornt(codes))
    flipped = img.as_reoriented(to_target)
    nib.save(nib.Nifti1Image(np.asanyarray(flipped.dataobj), flipped.affine), str(path))
    manifest, _ = ingest(dataset, IngestParams())
    mine = manifest[(manifest.subject == SUB) & (manifest.status == "included")]
    assert mine.mask_resampled.all()
    out, _ = reformat_subject(manifest[manifest.subject == SUB], tmp_path, ReformatParams(patch_size=32, sagittal_size=32))
    from spinexai.io.nifti import read_labels
    for row in out[out.status == "included"].itertuples():
        assert read_labels(row.mask_patch)[0][16, 16, 16] == row.label


def test_unknown_grade_code(dataset):
    sheet = pd.read_csv(dataset / "fracture_grading.csv", dtype=str)
    col = [c for c in sheet.columns if c.endswith("_fx-g") and pd.notna(sheet.loc[0, c])][2]
    sheet.loc[0, col] = "7"
    sheet.to_csv(dataset / "fracture_grading.csv", index=False)
    (dataset / "fracture_morphology.csv").unlink()
    _, excluded = ingest(dataset, IngestParams())
    from spinexai.labels import LEVEL_LABELS
    assert "unknown grade code '7'" in _reason(excluded, LEVEL_LABELS[col.removesuffix("_fx-g")])


def test_grade_for_a_level_absent_from_the_scan(dataset):
    with open(dataset / "fracture_morphology.csv", "a") as fh:
        fh.write(f"{SUB},8,2,wedge\n")  # T1 is never in these scans
    _, excluded = ingest(dataset, IngestParams())
    assert "not in the scan" in _reason(excluded, 8)


def test_graded_subject_without_ct(dataset):
    with open(dataset / "fracture_morphology.csv", "a") as fh:
        fh.write("ghost,20,0,normal\n")
    _, excluded = ingest(dataset, IngestParams())
    assert "no CT" in excluded[excluded.subject == "ghost"].reason.iloc[0]


def test_duplicate_subject(dataset):
    split = dataset / "dataset-02validation"
    (split / "rawdata").mkdir(parents=True)
    shutil.copytree(dataset / "rawdata" / f"sub-{SUB}", split / "rawdata" / f"sub-{SUB}")
    with pytest.raises(InputError, match=f"subject '{SUB}'.*also at"):
        ingest(dataset, IngestParams())


def test_split_folders_and_entities(dataset):
    split = dataset / "dataset-01training"
    for kind in ("rawdata", "derivatives"):
        (split / kind).mkdir(parents=True)
        shutil.move(dataset / kind / f"sub-{SUB}", split / kind / f"sub-{SUB}")
    for path in (split / "rawdata" / f"sub-{SUB}").iterdir():
        path.rename(path.with_name(path.name.replace(f"sub-{SUB}_", f"sub-{SUB}_dir-ax_")))
    for path in (split / "derivatives" / f"sub-{SUB}").iterdir():
        path.rename(path.with_name(path.name.replace(f"sub-{SUB}_", f"sub-{SUB}_dir-ax_")))
    manifest, _ = ingest(dataset, IngestParams())
    mine = manifest[manifest.subject == SUB]
    assert (mine.status == "included").any() and mine.ct_path.str.contains("dataset-01training").all()


def test_empty_dataset(tmp_path):
    (tmp_path / "rawdata").mkdir()
    with pytest.raises(InputError, match="rawdata.*no CT images"):
        ingest(tmp_path, IngestParams())


def test_bad_option_names_the_key():
    with pytest.raises(InputError, match="dataset.mask_convention.*'verse'"):
        IngestParams(mask_convention="vers")


def _patches(n_subjects, fractured):
    rows = []
    for s in range(n_subjects):
        for label in (20, 21):
            rows.append({"subject": f"s{s}", "label": label, "status": "included",
                         "fracture": s < fractured and label == 20})
    return pd.DataFrame(rows)


def test_folds_are_patient_level_stratified_and_seeded():
    patches = _patches(20, 8)
    a = make_folds(patches, n_folds=3, test_fraction=0.2, seed=1)
    b = make_folds(patches, n_folds=3, test_fraction=0.2, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert (a.split == "test").sum() == 4 and a.subject.is_unique
    cv = a[a.split == "cv"]
    assert set(cv.fold) == {0, 1, 2}
    assert all(g.has_fracture.any() for _, g in cv.groupby("fold"))


def test_fewer_subjects_than_folds():
    with pytest.raises(InputError, match="folds.n_folds"):
        make_folds(_patches(3, 2), n_folds=5, test_fraction=0.0, seed=0)


def test_a_fold_without_a_fracture_is_refused():
    with pytest.raises(InputError, match="fracture"):
        make_folds(_patches(10, 2), n_folds=5, test_fraction=0.0, seed=0)


def test_mask_centres_match_scipy_centre_of_mass():
    rng = np.random.default_rng(0)
    labels = np.zeros((30, 24, 40), np.int16)
    for label, centre in ((3, (8, 6, 10)), (20, (20, 15, 30)), (21, (5, 18, 33))):
        ijk = np.argwhere(np.ones(labels.shape, bool))
        blob = ijk[((ijk - centre) ** 2).sum(1) < rng.integers(9, 30)]
        labels[tuple(blob.T)] = label
    labels[0, 0, 0] = -4  # negative values are not labels
    affine = np.array([[0.0, 0.8, 0, 10], [1.2, 0, 0, -5], [0, 0, 2.5, 3], [0, 0, 0, 1]])
    header = ImageHeader("synthetic", labels.shape, affine, "int16")
    centres = mask_centres(labels, header)
    assert sorted(centres) == [3, 20, 21]
    for label, centre in centres.items():
        expected = ndimage.center_of_mass(labels == label)
        np.testing.assert_allclose(centre, header.voxel_to_world(np.array(expected)), atol=1e-9)
