import gzip

import nibabel as nib
import numpy as np
import pytest

from spinexai.errors import InputError
from spinexai.io.nifti import read_header, read_image, read_labels, write_image


def _write(path, data, affine=None):
    nib.save(nib.Nifti1Image(data, np.eye(4) if affine is None else affine), str(path))
    return path


def test_round_trip_keeps_affine_and_is_byte_identical(tmp_path):
    affine = np.array([[0, 0, 1.5, -78], [-1.5, 0, 0, 10], [0, -1.5, 0, 3], [0, 0, 0, 1.0]])
    data = np.arange(5 * 6 * 7, dtype=np.int16).reshape(5, 6, 7)
    write_image(tmp_path / "a.nii.gz", data, affine)
    write_image(tmp_path / "b.nii.gz", data, affine)
    assert (tmp_path / "a.nii.gz").read_bytes() == (tmp_path / "b.nii.gz").read_bytes()
    back, header = read_image(tmp_path / "a.nii.gz", dtype=np.int16)
    np.testing.assert_array_equal(back, data)
    np.testing.assert_allclose(header.affine, affine)
    assert header.axcodes == "PIR"


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="missing.nii.gz.*not found"):
        read_header(tmp_path / "missing.nii.gz")


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "bad.nii.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage that is not deflate data" * 10)
    with pytest.raises(InputError, match="bad.nii.gz.*header"):
        read_header(path)


def test_truncated_file(tmp_path):
    path = _write(tmp_path / "cut.nii.gz", np.random.default_rng(0).normal(size=(40, 40, 40)).astype(np.float32))
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[: len(raw) // 2]))
    with pytest.raises(InputError, match="cut.nii.gz.*truncated"):
        read_image(path)


def test_4d_image_is_refused(tmp_path):
    path = _write(tmp_path / "four.nii.gz", np.zeros((4, 4, 4, 2), np.int16))
    with pytest.raises(InputError, match="four.nii.gz.*'dim'.*3D"):
        read_header(path)


def test_trailing_singleton_dimension_is_accepted(tmp_path):
    path = _write(tmp_path / "single.nii.gz", np.zeros((4, 4, 4, 1), np.int16))
    assert read_header(path).shape == (4, 4, 4)


def test_degenerate_affine(tmp_path):
    affine = np.eye(4)
    affine[:3, 2] = 0
    img = nib.Nifti1Image(np.zeros((4, 4, 4), np.int16), None)
    img.set_sform(affine, code=1)  # nibabel refuses to write such a qform; real files carry it in the sform
    path = tmp_path / "flat.nii.gz"
    nib.save(img, str(path))
    with pytest.raises(InputError, match="flat.nii.gz.*'affine'.*degenerate"):
        read_header(path)


def test_float_labels_must_be_whole(tmp_path):
    path = _write(tmp_path / "frac.nii.gz", np.full((3, 3, 3), 1.5))
    with pytest.raises(InputError, match="whole numbers"):
        read_labels(path)
    path = _write(tmp_path / "ok.nii.gz", np.full((3, 3, 3), 20.0))
    assert read_labels(path)[0].dtype == np.int16
