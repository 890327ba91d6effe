"""The 2D reformation's sampling sheet, and maps brought back onto the source CT's grid."""

import numpy as np
import pandas as pd
import pytest

from spinexai.data.ingest import IngestParams, ingest
from spinexai.geometry.reformat import ReformatParams, reformat_subject
from spinexai.geometry.sampling import resample_points
from spinexai.geometry.sheet import patch_to_ct, sheet_points, sheet_to_ct
from spinexai.io.nifti import read_header, read_image, read_labels
from spinexai.io.tables import SAG_SHEET, read_table

PARAMS = ReformatParams(patch_size=64, sagittal_size=96)


@pytest.fixture(scope="module")
def reformatted(synthetic_root, tmp_path_factory):
    manifest, _ = ingest(synthetic_root, IngestParams())
    out = tmp_path_factory.mktemp("sheet")
    frames = [reformat_subject(rows, out / s, PARAMS)[0] for s, rows in manifest.groupby("subject")]
    done = pd.concat(frames, ignore_index=True)
    return done[done.status == "included"].reset_index(drop=True)


def test_the_sheet_is_the_sampling_grid_everywhere_in_the_image(reformatted):
    for row in reformatted.head(4).itertuples():
        sheet = read_table(row.sag_sheet, SAG_SHEET)
        points = sheet_points(sheet)
        assert points.shape == (96, 96, 3)
        ct, ct_header = read_image(row.ct_path)
        again = resample_points(ct, ct_header.affine, points, order=1, cval=-1024)
        sag, header = read_image(row.sag_ct)
        # the stored reformation is the CT sampled at these points (rounded to int16 HU)
        assert np.abs(again - sag[..., 0]).max() <= 0.5 + 1e-3
        # the centre pixel is the centroid; along the centre row the NIfTI affine agrees with the sheet
        assert np.linalg.norm(points[48, 48] - [row.centroid_x, row.centroid_y, row.centroid_z]) < 1e-6
        plane = np.stack(np.meshgrid(np.arange(96), np.arange(96), [0], indexing="ij"), -1)[..., 0, :]
        tangent = plane @ header.affine[:3, :3].T + header.affine[:3, 3]
        assert np.linalg.norm(tangent[48] - points[48], axis=-1).max() < 1e-4  # NIfTI stores the affine in float32


def test_a_sheet_map_lands_in_the_vertebra_on_the_ct(reformatted):
    row = reformatted.iloc[1]
    points = sheet_points(read_table(row.sag_sheet, SAG_SHEET))
    sag_mask, _ = read_labels(row.sag_mask)
    own = (sag_mask[..., 0] == row.label).astype(np.float32)
    ct = read_header(row.ct_path)
    volume = sheet_to_ct(own[::2, ::2], points, ct)  # a coarser map (a network input) is upsampled first
    assert volume.shape == ct.shape
    mask, _ = read_labels(row.mask_path)
    on = volume > 0.5
    assert on.sum() > 50
    assert (mask[on] == row.label).mean() > 0.9
    full = sheet_to_ct(own, points, ct)
    assert (mask[full > 0.5] == row.label).mean() > 0.95


def test_a_patch_map_is_resampled_onto_the_ct_grid(reformatted):
    row = reformatted.iloc[0]
    patch = read_header(row.ct_patch)
    ct = read_header(row.ct_path)
    idx = np.stack(np.meshgrid(*[np.arange(n) for n in patch.shape], indexing="ij"), -1)
    world = idx @ patch.affine[:3, :3].T + patch.affine[:3, 3]
    linear = (world @ [0.3, -0.2, 0.1] + 5.0).astype(np.float32)   # a map linear in world mm
    volume = patch_to_ct(linear, patch.affine, ct)
    assert volume.shape == ct.shape
    inside = volume != 0
    vox = np.argwhere(inside)
    ct_world = vox @ ct.affine[:3, :3].T + ct.affine[:3, 3]
    expected = ct_world @ [0.3, -0.2, 0.1] + 5.0
    # trilinear interpolation reproduces a linear map away from the patch border
    centre = np.array([row.centroid_x, row.centroid_y, row.centroid_z])
    core = np.linalg.norm(ct_world - centre, axis=1) < 20
    assert core.sum() > 100
    assert np.abs(volume[inside][core] - expected[core]).max() < 1e-3
    labels, _ = read_labels(row.mask_patch)
    back = patch_to_ct(labels.astype(np.float32), patch.affine, ct, order=0)
    mask, _ = read_labels(row.mask_path)
    own = back == row.label
    assert own.sum() > 100 and (mask[own] == row.label).mean() > 0.9
