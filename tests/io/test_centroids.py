import json

import nibabel as nib
import numpy as np
import pytest

from conftest import real
from spinexai.errors import InputError
from spinexai.io.centroids import read_centroids, write_centroids
from spinexai.io.nifti import ImageHeader, read_header, read_labels


def _header(codes: str, shape=(30, 40, 50)) -> ImageHeader:
    ornt = nib.orientations.axcodes2ornt(tuple(codes))
    affine = nib.orientations.inv_ornt_aff(ornt, shape)  # a grid with these axis codes
    affine = np.linalg.inv(affine) @ np.diag([0.8, 1.0, 2.0, 1.0])
    return ImageHeader("img.nii.gz", shape, affine, "int16")


def test_verse004_centroids_land_in_their_vertebra():
    mask_path = real("verse_sub-verse004_labels", "sub-verse004_seg-vert_msk.nii.gz")
    labels, header = read_labels(mask_path)
    assert header.axcodes == "PIR"
    for c in read_centroids(real("verse_sub-verse004_labels", "sub-verse004_seg-subreg_ctd.json"), header):
        ijk = np.rint(header.world_to_voxel(c.world)).astype(int)
        assert labels[tuple(ijk)] == c.label


@pytest.mark.parametrize("file_codes", ["RAS", "PIR", "LPS", "ASL"])
def test_direction_entry_is_honoured(tmp_path, file_codes):
    image = _header("PIR")
    world = image.voxel_to_world(np.array([3.0, 7.0, 11.0]))
    # Express the point in the file's axes: flips map c -> n - 1 - c.
    ornt = nib.orientations.ornt_transform(nib.orientations.axcodes2ornt(tuple("PIR")),
                                           nib.orientations.axcodes2ornt(tuple(file_codes)))
    ijk = np.array([3.0, 7.0, 11.0])
    xyz = np.zeros(3)
    for src, (dst, flip) in enumerate(ornt):
        xyz[int(dst)] = image.shape[src] - 1 - ijk[src] if flip < 0 else ijk[src]
    path = tmp_path / "ctd.json"
    path.write_text(json.dumps([{"direction": list(file_codes)}, {"label": 20, "X": xyz[0], "Y": xyz[1], "Z": xyz[2]}]))
    (c,) = read_centroids(path, image)
    np.testing.assert_allclose(c.world, world, atol=1e-6)


def test_nan_entries_are_reported_not_dropped(tmp_path):
    path = tmp_path / "ctd.json"
    path.write_text('[{"direction": ["P", "I", "R"]}, {"label": 20, "X": NaN, "Y": 1, "Z": 2}, {"label": 21, "X": 1, "Y": 2, "Z": 3}]')
    out = {c.label: c for c in read_centroids(path, _header("PIR"))}
    assert out[20].world is None and "NaN" in out[20].problem
    assert out[21].world is not None


@pytest.mark.parametrize("label", [0, 29, 40])
def test_labels_outside_the_verse_numbering_are_reported_not_raised(tmp_path, label):
    path = tmp_path / "ctd.json"
    path.write_text(json.dumps([{"label": label, "X": 1, "Y": 2, "Z": 3}, {"label": 20, "X": 1, "Y": 2, "Z": 3}]))
    out = {c.label: c for c in read_centroids(path, _header("PIR"))}
    assert out[label].world is None and f"label {label} (entry [0]) is outside the VerSe numbering" in out[label].problem
    assert out[20].world is not None


@pytest.mark.parametrize("text, field", [
    ('{"label": 1}', None), ('[{"direction": ["P", "I"]}]', "direction"),
    ('[{"label": 20, "X": 1, "Y": 2}]', "Z"), ('[{"label": 20, "X": 1, "Y": 2, "Z": 3}, {"label": 20, "X": 1, "Y": 2, "Z": 3}]', "label"),
])
def test_bad_centroid_files(tmp_path, text, field):
    path = tmp_path / "bad_ctd.json"
    path.write_text(text)
    with pytest.raises(InputError, match="bad_ctd.json" + (f".*{field}" if field else "")):
        read_centroids(path, _header("RAS"))


def test_write_then_read_round_trip(tmp_path):
    image = _header("ASL")
    points = {20: image.voxel_to_world(np.array([10.0, 20.0, 30.0])), 21: image.voxel_to_world(np.array([12.0, 5.5, 3.0]))}
    write_centroids(tmp_path / "c.json", points, image)
    back = {c.label: c.world for c in read_centroids(tmp_path / "c.json", image)}
    for k in points:
        np.testing.assert_allclose(back[k], points[k], atol=0.1)


def test_missing_centroid_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_centroids(tmp_path / "none.json", _header("RAS"))


def test_header_of_real_fixture():
    header = read_header(real("tptbox_l3", "sub-ct_label-22_ct.nii.gz"))
    assert header.axcodes == "PIR" and header.shape == (73, 47, 73)
