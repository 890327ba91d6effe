"""Ingest and reformat the small real CT fixtures of ../shared/data/real."""

import shutil

import nibabel as nib
import numpy as np

from conftest import real
from spinexai.data.ingest import IngestParams, ingest
from spinexai.geometry.reformat import ReformatParams, reformat_subject
from spinexai.io.nifti import read_labels

PARAMS = ReformatParams(patch_size=48, sagittal_size=64, min_fov_fraction=0.3)


def _dataset(tmp_path, subject, ct, mask, body=None, ctd=None, grades=()):
    raw, der = tmp_path / "rawdata" / f"sub-{subject}", tmp_path / "derivatives" / f"sub-{subject}"
    raw.mkdir(parents=True)
    der.mkdir(parents=True)
    shutil.copy(ct, raw / f"sub-{subject}_ct.nii.gz")
    shutil.copy(mask, der / f"sub-{subject}_seg-vert_msk.nii.gz")
    if body is not None:
        shutil.copy(body, der / f"sub-{subject}_{'seg-subreg_msk' if 'subreg' in body.name else 'seg-body_msk'}.nii.gz")
    if ctd is not None:
        shutil.copy(ctd, der / f"sub-{subject}_seg-subreg_ctd.json")
    (tmp_path / "fracture_morphology.csv").write_text(
        "subject,label,grade\n" + "".join(f"{subject},{label},0\n" for label in grades))
    return tmp_path


def _check_patches(manifest, tmp_path, expect):
    out, spline = reformat_subject(manifest, tmp_path / "out", PARAMS)
    done = out[out.status == "included"]
    assert set(expect) <= set(done.label)
    for row in done.itertuples():
        assert read_labels(row.mask_patch)[0][24, 24, 24] == row.label
    assert len(spline) > 20
    return done


def test_totalsegmentator_labels_with_body_mask(tmp_path):
    root = _dataset(tmp_path, "ts", real("totalsegmentator_example", "example_ct.nii.gz"),
                    real("totalsegmentator_example", "totalseg.nii.gz"),
                    body=real("totalsegmentator_example", "totalseg_vertebrae_body.nii.gz"), grades=range(18, 25))
    manifest, excluded = ingest(root, IngestParams(mask_convention="totalsegmentator", centroids="body"))
    inc = manifest[manifest.status == "included"]
    assert set(range(20, 25)) <= set(inc.label)  # L1-L5 complete
    assert set(inc[inc.label >= 20].centroid_source) == {"mask_body"}
    assert 26 in set(excluded.label)  # the sacrum is recorded, not silently dropped
    done = _check_patches(manifest, tmp_path, range(20, 25))
    for row in done[done.centroid_source == "mask_body"].itertuples():
        assert read_labels(row.body_patch)[0][24, 24, 24] == row.label


def test_pir_crop_with_subregion_body_mask(tmp_path):
    root = _dataset(tmp_path, "l3", real("tptbox_l3", "sub-ct_label-22_ct.nii.gz"),
                    real("tptbox_l3", "sub-ct_seg-vert_label-22_msk.nii.gz"),
                    body=real("tptbox_l3", "sub-ct_seg-subreg_label-22_msk.nii.gz"), grades=(21, 22, 23))
    manifest, _ = ingest(root, IngestParams(centroids="body"))
    row = manifest[manifest.label == 22].iloc[0]
    assert row.status == "included" and row.centroid_source == "mask_body"
    _check_patches(manifest, tmp_path, [22])


def test_verse004_float64_mask_oblique_affine(tmp_path):
    mask_path = real("verse_sub-verse004_labels", "sub-verse004_seg-vert_msk.nii.gz")
    img = nib.load(mask_path)
    assert img.get_data_dtype() == np.float64
    mask = np.asanyarray(img.dataobj)
    ct = np.where(mask > 0, 400, -900).astype(np.int16)  # the CT is not released with the fixture
    nib.save(nib.Nifti1Image(ct, img.affine), str(tmp_path / "ct.nii.gz"))
    root = _dataset(tmp_path / "ds", "verse004", tmp_path / "ct.nii.gz", mask_path,
                    ctd=real("verse_sub-verse004_labels", "sub-verse004_seg-subreg_ctd.json"), grades=range(16, 25))
    for centroids, source in (("file", "json"), ("body", "mask_estimate")):
        manifest, _ = ingest(root, IngestParams(centroids=centroids))
        inc = manifest[manifest.status == "included"]
        assert set(inc.label) == set(range(16, 25)) and set(inc.centroid_source) == {source}
    done = _check_patches(manifest, tmp_path, range(16, 25))
    # In this released file the centroids sit near the body centre already (the mask's centre of mass
    # lies ~12 mm posterior of them), so estimated body centres stay within a few millimetres.
    file_manifest, _ = ingest(root, IngestParams(centroids="file"))
    shift = done.set_index("label")[["centroid_x", "centroid_y", "centroid_z"]].to_numpy() - \
        file_manifest[file_manifest.status == "included"].set_index("label")[["centroid_x", "centroid_y", "centroid_z"]].to_numpy()
    assert np.all(np.linalg.norm(shift, axis=1) < 8)
