import numpy as np
import pytest

from spinexai.geometry.spline import fit_spine_curve


def _spine(n=6):
    z = -np.arange(n) * 30.0
    return np.stack([2 * np.sin(z / 80), 10 * np.sin(z / 60), z], axis=1)


def test_curve_passes_through_centroids_and_extends():
    nodes = _spine()
    curve = fit_spine_curve(nodes, extension_mm=20)
    np.testing.assert_allclose(curve.point(curve.s_nodes), nodes, atol=1e-9)
    assert curve.s_min == -20 and curve.s_max == pytest.approx(curve.s_nodes[-1] + 20)
    np.testing.assert_allclose(np.linalg.norm(curve.point(np.array(-20.0)) - nodes[0]), 20, atol=1e-6)


def test_frame_is_orthonormal_and_lateral_points_to_patient_left():
    curve = fit_spine_curve(_spine())
    t, p, l = curve.frame(np.linspace(curve.s_min, curve.s_max, 50))
    for a, b in ((t, p), (t, l), (p, l)):
        np.testing.assert_allclose((a * b).sum(-1), 0, atol=1e-9)
    assert np.all(t[:, 2] < 0)  # caudal
    assert np.all(p[:, 1] < 0)  # posterior is -y in RAS+
    assert np.all(l[:, 0] < 0)  # patient left is -x in RAS+
    np.testing.assert_allclose(np.einsum("ij,ij->i", np.cross(t, p), l), 1, atol=1e-9)


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_few_centroids(n):
    curve = fit_spine_curve(_spine(n))
    t, p, l = curve.frame(np.array(0.0))
    assert np.isfinite(t).all() and np.isfinite(p).all() and np.isfinite(l).all()


def test_rotation_minimising_frame_when_the_spine_runs_anteroposteriorly():
    nodes = np.stack([np.zeros(5), -np.arange(5) * 30.0, np.zeros(5)], axis=1)  # tangent along -y
    nodes[:, 0] = np.linspace(0, 3, 5) ** 2
    curve = fit_spine_curve(nodes)
    t, p, l = curve.frame(np.linspace(curve.s_min, curve.s_max, 30))
    assert np.isfinite(p).all()
    np.testing.assert_allclose((t * p).sum(-1), 0, atol=1e-6)


def test_smoothing_keeps_the_curve_near_the_centroids():
    rng = np.random.default_rng(0)
    nodes = _spine(8) + rng.normal(0, 1.0, (8, 3))
    curve = fit_spine_curve(nodes, smoothing=50.0)
    assert np.max(np.linalg.norm(curve.point(curve.s_nodes) - nodes, axis=1)) < 5
