import numpy as np
import pytest
from scipy import stats

from spinexai.benchmark.grids import centre_index, extent_mm, model_grid
from spinexai.benchmark.references import centre_prior, random_map, vertebra_seed
from spinexai.benchmark.stats import paired_wilcoxon
from spinexai.geometry.sampling import input_grid_affine


def test_grid_spacing_and_centre():
    grid = model_grid("2d", (224, 224), (0.5, 0.5), 32)
    assert grid.shape == (32, 32) and grid.spacing == (3.5, 3.5)
    assert grid.centre[0] == pytest.approx(112.5 / 7 - 0.5)
    assert centre_index(64, 64) == 32
    mask = np.zeros((10, 4), bool)
    mask[2:7, 1] = True
    assert extent_mm(mask, 0, 0.5) == 2.5


def test_centre_prior_peaks_at_the_centre_with_a_quarter_height_sigma():
    grid = model_grid("3d", (32, 32, 32), (1.0, 1.0, 1.0), 32)
    prior = centre_prior(grid, 24.0)
    assert np.unravel_index(prior.argmax(), prior.shape) == (16, 16, 16)
    assert prior[16 + 6, 16, 16] == pytest.approx(np.exp(-0.5))  # one sigma = 6 mm away


def test_random_maps_are_fixed_by_the_seed():
    seed = vertebra_seed(3, "synth001", 20)
    assert seed == vertebra_seed(3, "synth001", 20) != vertebra_seed(3, "synth001", 21)
    assert np.array_equal(random_map((4, 4), seed), random_map((4, 4), seed))


def test_wilcoxon_is_two_sided_exact_without_ties_and_counts_pairs():
    a = np.array([0.9, 0.8, 0.75, 0.6, 0.55, np.nan])
    b = np.array([0.1, 0.25, 0.3, 0.5, 0.2, 0.4])
    statistic, p, n, how = paired_wilcoxon(a, b)
    assert n == 5 and how == "exact" and p == pytest.approx(0.0625)
    assert p == pytest.approx(stats.wilcoxon(a[:5], b[:5], method="exact").pvalue)
    assert paired_wilcoxon(np.ones(4), np.ones(4))[1] != paired_wilcoxon(np.ones(4), np.ones(4))[1]  # NaN: no differences
    assert paired_wilcoxon([1, 2, 3, 4], [0, 1, 2, 3])[3] == "approx"  # tied differences


def test_grid_affine_puts_each_map_voxel_at_the_centre_of_the_native_voxels_it_covers():
    rotation = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, 1.0], [-1.0, 0.0, 0.0]]) * [0.5, 1.0, 2.0]
    native = np.eye(4)
    native[:3, :3], native[:3, 3] = rotation, [10.0, -20.0, 5.0]
    crop_affine = input_grid_affine(native, (96, 96, 96), (64, 64, 64), (32, 32, 32))
    native_voxels = np.stack(np.meshgrid(*[np.arange(16 + 2 * 3, 16 + 2 * 3 + 2)] * 3, indexing="ij"), -1).reshape(-1, 3)
    expected = (native[:3, :3] @ native_voxels.T).T.mean(0) + native[:3, 3]
    assert np.allclose(crop_affine[:3, :3] @ [3, 3, 3] + crop_affine[:3, 3], expected)
    # the sagittal grid keeps its single slice
    flat = input_grid_affine(native, (224, 224, 1), (224, 224, 1), (112, 112, 1))
    assert np.allclose(flat[:3, :3], native[:3, :3] @ np.diag([2.0, 2.0, 1.0]))
    assert np.allclose(flat[:3, 3], native[:3, :3] @ [0.5, 0.5, 0.0] + native[:3, 3])
