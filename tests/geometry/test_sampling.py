import numpy as np
import torch

from spinexai.geometry.sampling import grid_affine, inside_fraction, resample_affine, resample_affine_torch, resample_points


def _volume(shape=(41, 37, 29)):
    rng = np.random.default_rng(0)
    affine = np.array([[0, 0, 1.5, -20], [-0.8, 0, 0, 30], [0, -0.9, 0, 10], [0, 0, 0, 1.0]])  # PIR-like
    return (rng.normal(size=shape) * 100).astype(np.int16), affine


def _patch_affine(volume, affine, angle=0.3, size=16):
    centre = affine[:3, :3] @ (np.array(volume.shape) / 2) + affine[:3, 3]
    c, s = np.cos(angle), np.sin(angle)
    axes = (np.array([c, s, 0]), np.array([-s, c, 0]), np.array([0, 0, 1.0]))
    return grid_affine(centre, axes, (size,) * 3, (1.0,) * 3)


def test_linear_sampling_matches_map_coordinates():
    from scipy import ndimage

    volume, affine = _volume()
    target = _patch_affine(volume, affine)
    ours = resample_affine(volume, affine, target, (16,) * 3, order=1, cval=-1024)
    ijk = np.stack(np.meshgrid(*(np.arange(16.0),) * 3, indexing="ij"), -1).reshape(-1, 3)
    src = (ijk @ target[:3, :3].T + target[:3, 3]) @ np.linalg.inv(affine)[:3, :3].T + np.linalg.inv(affine)[:3, 3]
    ref = ndimage.map_coordinates(volume.astype(np.float64), src.T, order=1, cval=-1024).reshape((16,) * 3)
    np.testing.assert_allclose(ours, ref, atol=1e-3)


def test_nearest_keeps_labels_and_dtype():
    volume, affine = _volume()
    labels = (np.abs(volume) % 5).astype(np.int16)
    out = resample_affine(labels, affine, _patch_affine(volume, affine), (16,) * 3, order=0, cval=0)
    assert out.dtype == np.int16 and set(np.unique(out)) <= set(range(5))


def test_outside_gets_fill_value():
    volume, affine = _volume()
    far = grid_affine(np.array([1000.0, 0, 0]), tuple(np.eye(3)), (8,) * 3, (1.0,) * 3)
    assert np.all(resample_affine(volume, affine, far, (8,) * 3, order=1, cval=-1024) == -1024)
    assert inside_fraction(volume.shape, affine, far, (8,) * 3) == 0.0


def test_torch_batch_matches_itk_inside():
    volume, affine = _volume()
    targets = np.stack([_patch_affine(volume, affine, a) for a in (0.0, 0.3, 1.0)])
    batch = resample_affine_torch(torch.as_tensor(volume, dtype=torch.float32), affine, targets, (16,) * 3).numpy()
    for target, got in zip(targets, batch, strict=False):
        want = resample_affine(volume, affine, target, (16,) * 3, order=1, cval=-1024)
        np.testing.assert_allclose(got, want, atol=0.05)


def test_points_match_affine_sampling():
    volume, affine = _volume()
    target = _patch_affine(volume, affine)
    ijk = np.stack(np.meshgrid(*(np.arange(16.0),) * 3, indexing="ij"), -1)
    world = ijk @ target[:3, :3].T + target[:3, 3]
    np.testing.assert_allclose(resample_points(volume, affine, world, order=1, cval=-1024),
                               resample_affine(volume, affine, target, (16,) * 3, order=1, cval=-1024), atol=1e-3)


def test_patch_centre_voxel_is_the_centre():
    a = grid_affine(np.array([1.0, 2.0, 3.0]), tuple(np.eye(3)), (96,) * 3, (1.0,) * 3)
    np.testing.assert_allclose(a[:3, :3] @ [48, 48, 48] + a[:3, 3], [1, 2, 3])
