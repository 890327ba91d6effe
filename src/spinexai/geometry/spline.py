"""A smooth curve through ordered vertebral centroids, with a moving frame, in world millimetres.

Frame at arc length s: ``t`` the unit tangent (pointing caudally), ``p`` the patient's posterior
direction projected onto the plane normal to ``t``, and ``l = t x p``, which points to the patient's
left (RAS+ world: left is -x). Patches sampled on (t, p, l) are IPL-ordered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline, make_smoothing_spline

POSTERIOR = np.array([0.0, -1.0, 0.0])  # RAS+: +y is anterior


@dataclass(frozen=True)
class SpineCurve:
    """Arc-length parametrised curve; ``s`` runs from ``s_min`` (cranial) to ``s_max`` (caudal)."""

    nodes: np.ndarray  # (n, 3) centroids, cranial to caudal
    s_nodes: np.ndarray  # arc length of each node
    s_min: float
    s_max: float
    _spline: CubicSpline | None
    _rmf: tuple[np.ndarray, np.ndarray] | None = None  # (s samples, posterior axes) when projection degenerates

    def point(self, s: np.ndarray) -> np.ndarray:
        s = np.asarray(s, dtype=float)
        if self._spline is None:
            return self.nodes[0] + s[..., None] * self._line_direction()
        lo, hi = self.s_nodes[0], self.s_nodes[-1]
        inner = self._spline(np.clip(s, lo, hi))
        # Beyond the end centroids the curve continues straight along the end tangent.
        before = self._spline(lo) + (s - lo)[..., None] * self._unit(self._spline(lo, 1))
        after = self._spline(hi) + (s - hi)[..., None] * self._unit(self._spline(hi, 1))
        return np.where((s < lo)[..., None], before, np.where((s > hi)[..., None], after, inner))

    def tangent(self, s: np.ndarray) -> np.ndarray:
        s = np.asarray(s, dtype=float)
        if self._spline is None:
            return np.broadcast_to(self._line_direction(), s.shape + (3,)).copy()
        d = self._spline(np.clip(s, self.s_nodes[0], self.s_nodes[-1]), 1)
        return d / np.linalg.norm(d, axis=-1, keepdims=True)

    def frame(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(t, p, l) unit vectors at arc lengths ``s`` (each of shape s.shape + (3,))."""
        t = self.tangent(s)
        if self._rmf is not None:
            ss, ps = self._rmf
            p = np.stack([np.interp(s, ss, ps[:, k]) for k in range(3)], axis=-1)
            p = p - (p * t).sum(-1, keepdims=True) * t
        else:
            p = POSTERIOR - (t @ POSTERIOR)[..., None] * t
        p = p / np.linalg.norm(p, axis=-1, keepdims=True)
        return t, p, np.cross(t, p)

    def _line_direction(self) -> np.ndarray:
        if len(self.nodes) >= 2:
            return self._unit(self.nodes[-1] - self.nodes[0])
        return np.array([0.0, 0.0, -1.0])

    @staticmethod
    def _unit(v: np.ndarray) -> np.ndarray:
        return v / np.linalg.norm(v)

    def arc_length_of(self, point: np.ndarray) -> float:
        """Arc length of the curve point nearest to ``point`` (1 mm search then refinement)."""
        ss = np.arange(self.s_min, self.s_max + 1.0, 1.0)
        d = np.linalg.norm(self.point(ss) - point, axis=1)
        s0 = ss[int(np.argmin(d))]
        fine = np.linspace(s0 - 1.0, s0 + 1.0, 201)
        return float(fine[int(np.argmin(np.linalg.norm(self.point(fine) - point, axis=1)))])


def _rotation_minimising_posterior(curve: SpineCurve, step: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Posterior axes transported along the curve by the double-reflection method (Wang et al. 2008)."""
    ss = np.arange(curve.s_min, curve.s_max + step, step)
    pts, ts = curve.point(ss), curve.tangent(ss)
    proj = POSTERIOR - (ts @ POSTERIOR)[:, None] * ts
    start = int(np.argmax(np.linalg.norm(proj, axis=1)))
    ps = np.zeros_like(pts)
    ps[start] = proj[start] / np.linalg.norm(proj[start])
    for order in (range(start + 1, len(ss)), range(start - 1, -1, -1)):
        for i in order:
            j = i - 1 if i > start else i + 1
            v1 = pts[i] - pts[j]
            c1 = v1 @ v1
            r_l = ps[j] - (2 / c1) * (v1 @ ps[j]) * v1
            t_l = ts[j] - (2 / c1) * (v1 @ ts[j]) * v1
            v2 = ts[i] - t_l
            c2 = v2 @ v2
            ps[i] = r_l - (2 / c2) * (v2 @ r_l) * v2 if c2 > 1e-12 else r_l
    return ss, ps


def fit_spine_curve(centroids: np.ndarray, *, extension_mm: float = 20.0, smoothing: float = 0.0) -> SpineCurve:
    """Fit the spine curve through centroids ordered cranial to caudal (world mm, shape (n, 3)).

    Args:
        extension_mm: straight continuation beyond the end centroids.
        smoothing: 0 interpolates; larger values smooth (penalty of ``make_smoothing_spline``),
            used only with five or more centroids.
    """
    nodes = np.asarray(centroids, dtype=float).reshape(-1, 3)
    if len(nodes) == 0:
        raise ValueError("a spine curve needs at least one centroid")
    chords = np.linalg.norm(np.diff(nodes, axis=0), axis=1)
    if np.any(chords < 1e-6):
        raise ValueError("two consecutive centroids coincide")
    s_nodes = np.concatenate([[0.0], np.cumsum(chords)])
    spline = None
    if len(nodes) >= 3:
        if smoothing > 0 and len(nodes) >= 5:
            parts = [make_smoothing_spline(s_nodes, nodes[:, k], lam=smoothing) for k in range(3)]
            smoothed = np.stack([p(s_nodes) for p in parts], axis=1)
            spline = CubicSpline(s_nodes, smoothed, bc_type="natural")
        else:
            spline = CubicSpline(s_nodes, nodes, bc_type="natural")
    elif len(nodes) == 2:
        spline = CubicSpline(s_nodes, nodes, bc_type="natural")  # a straight line through two points
    curve = SpineCurve(nodes, s_nodes, -extension_mm, float(s_nodes[-1]) + extension_mm, spline)
    t = curve.tangent(np.linspace(curve.s_min, curve.s_max, 64))
    if np.min(np.linalg.norm(POSTERIOR - (t @ POSTERIOR)[:, None] * t, axis=1)) < 0.2:
        curve = SpineCurve(nodes, s_nodes, curve.s_min, curve.s_max, spline, _rotation_minimising_posterior(curve))
    return curve
