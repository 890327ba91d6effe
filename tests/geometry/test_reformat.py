"""Geometry of the reformatted patches: centres, labels, orientation invariance, overlay; the 2D
reformation's sampling sheet and maps brought back onto the source CT's grid."""

import numpy as np
import pandas as pd
import pytest

from spinexai.data.ingest import IngestParams, ingest
from spinexai.geometry.reformat import ReformatParams, reformat_subject
from spinexai.geometry.sampling import resample_affine, resample_points
from spinexai.geometry.sheet import patch_to_ct, sheet_points, sheet_to_ct
from spinexai.io.nifti import read_header, read_image, read_labels
from spinexai.io.tables import SAG_SHEET, read_table
from spinexai.synthetic import write_cohort_tables, write_subject
from spinexai.synthetic.params import SyntheticParams
from spinexai.synthetic.scanner import random_rotation

PARAMS = ReformatParams(patch_size=64, sagittal_size=96)


@pytest.fixture(scope="module")
def reformatted(synthetic_root, tmp_path_factory):
    manifest, _ = ingest(synthetic_root, IngestParams())
    out = tmp_path_factory.mktemp("reformat")
    frames = [reformat_subject(rows, out / s, PARAMS)[0] for s, rows in manifest.groupby("subject")]
    return pd.concat(frames, ignore_index=True)


def test_patch_centre_is_the_centroid_and_holds_the_label(reformatted):
    done = reformatted[reformatted.status == "included"]
    assert len(done) > 10
    for row in done.itertuples():
        _, header = read_image(row.ct_patch)
        centre = header.voxel_to_world(np.array([32, 32, 32]))
        assert np.linalg.norm(centre - [row.centroid_x, row.centroid_y, row.centroid_z]) < 0.5
        mask, _ = read_labels(row.mask_patch)
        assert mask[32, 32, 32] == row.label
        body, _ = read_labels(row.body_patch)
        assert body[32, 32, 32] == row.label


def test_patch_axes_are_inferior_posterior_left(reformatted):
    row = reformatted[reformatted.status == "included"].iloc[0]
    _, header = read_image(row.ct_patch)
    assert header.axcodes == "IPL" or np.all(np.sign(header.affine[[2, 1, 0], [0, 1, 2]]) == [-1, -1, -1])
    body, _ = read_labels(row.body_patch)
    # The vertebral body lies anterior of the posterior elements: more body voxels at low axis-1 indices.
    vert, _ = read_labels(row.mask_patch)
    posterior = (vert == row.label) & (body == 0)
    ys_body = np.nonzero(body == row.label)[1].mean()
    ys_post = np.nonzero(posterior)[1].mean()
    assert ys_post > ys_body


def test_patch_resampled_back_overlays_the_source_ct(reformatted):
    row = reformatted[reformatted.status == "included"].iloc[2]
    patch, patch_header = read_image(row.ct_patch)
    ct, ct_header = read_image(row.ct_path)
    back = resample_affine(patch, patch_header.affine, ct_header.affine, ct.shape, order=1, cval=np.nan)
    body, _ = read_labels(row.body_mask_path)
    sel = np.isfinite(back) & (body == row.label)
    assert sel.sum() > 100
    assert np.corrcoef(back[sel], ct[sel])[0, 1] > 0.9
    assert np.abs(back[sel] - ct[sel]).mean() < 60


def test_sagittal_reformation_has_the_vertebra_at_its_centre(reformatted):
    row = reformatted[reformatted.status == "included"].iloc[1]
    sag, header = read_image(row.sag_mask)
    assert sag.shape == (96, 96, 1) and sag[48, 48, 0] == row.label
    heat, _ = read_image(row.sag_heatmap)
    assert heat[48, 48, 0] == pytest.approx(1.0) and heat[0, 0, 0] < 1e-3


def test_patches_agree_across_orientations_and_spacings(tmp_path):
    quiet = SyntheticParams(n_subjects=1, seed=5, noise_hu=(0.0, 0.0), texture_hu=(0.0, 0.0), psf_sigma_mm=(0.7, 0.7),
                            fracture_prevalence=0.0, fov_cut_probability=0.0, implant_probability=0.0,
                            first_levels=("T11", "T11"), last_levels=("L3", "L3"), fov_lateral_mm=(110, 110), fov_ap_mm=(110, 110))
    grids = [dict(axcodes="RAS", inplane=0.8, slice=1.0), dict(axcodes="PIR", inplane=0.7, slice=1.2),
             dict(axcodes="LPS", inplane=1.0, slice=0.9),
             dict(axcodes="ASL", inplane=0.75, slice=1.1, rotation=random_rotation(np.random.default_rng(1), 12.0))]
    patches = []
    for n, grid in enumerate(grids):
        root = tmp_path / f"grid{n}"
        write_subject(root, quiet, "synth000", scanner_override=grid)
        write_cohort_tables(root, ["synth000"])
        manifest, _ = ingest(root, IngestParams())
        out, _ = reformat_subject(manifest, root / "out", PARAMS)
        row = out[(out.label == 20) & (out.status == "included")].iloc[0]
        patches.append((read_image(row.ct_patch)[0], read_labels(row.body_patch)[0]))
    ref, body = patches[0]
    inside = body == 20
    for other, _ in patches[1:]:
        assert np.corrcoef(ref[inside], other[inside])[0, 1] > 0.99


def test_the_sheet_is_the_sampling_grid_everywhere_in_the_image(reformatted):
    for row in reformatted[reformatted.status == "included"].head(4).itertuples():
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
    row = reformatted[reformatted.status == "included"].iloc[1]
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
    row = reformatted[reformatted.status == "included"].iloc[0]
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
