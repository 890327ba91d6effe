"""Spine layout of a synthetic subject: levels, vertebra sizes, the curved spine and local frames.

Each vertebra has a right-handed local frame (columns of ``rotation``): x = patient right, y = anterior,
z = cranial, centred on the undeformed vertebral-body centre, in world RAS millimetres.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spinexai.labels import LEVEL_LABELS

# Generated levels: T1..T12, L1..L5 (VerSe labels 8..24).
GENERATED_LABELS = tuple(range(8, 25))


@dataclass
class VertebraPlan:
    label: int
    centre: np.ndarray  # world mm
    rotation: np.ndarray  # 3x3, columns: right, anterior, cranial
    height: float  # undeformed body height at the rim (mm)
    depth: float  # anteroposterior body depth
    width: float  # lateral body width
    concavity: float  # central endplate concavity (mm, each endplate)
    superellipse: float
    disc_below: float  # disc thickness below this vertebra
    fracture: dict = field(default_factory=dict)  # empty when not fractured


def level_fraction(label: int) -> float:
    """0 at T1, 1 at L5."""
    return (label - 8) / (24 - 8)


def draw_levels(rng: np.random.Generator, first: tuple[str, str], last: tuple[str, str], min_count: int) -> list[int]:
    """A random contiguous run of thoracolumbar labels (inclusive ranges of first and last level)."""
    lo_first, hi_first = LEVEL_LABELS[first[0]], LEVEL_LABELS[first[1]]
    lo_last, hi_last = LEVEL_LABELS[last[0]], LEVEL_LABELS[last[1]]
    for _ in range(1000):
        a = int(rng.integers(lo_first, hi_first + 1))
        b = int(rng.integers(lo_last, hi_last + 1))
        if b - a + 1 >= min_count:
            return list(range(a, b + 1))
    raise ValueError(f"no run of at least {min_count} vertebrae between {first} and {last}")


def _rotation_about(axis: np.ndarray, angle: float) -> np.ndarray:
    axis = axis / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)


def build_spine(rng: np.random.Generator, scoliosis_probability: float) -> list[VertebraPlan]:
    """Sizes, discs and a curved centre line for T1..L5, with kyphosis, lordosis and mild scoliosis."""
    size_factor = float(np.clip(rng.normal(1.0, 0.1), 0.8, 1.2))
    plans: list[VertebraPlan] = []
    for label in GENERATED_LABELS:
        f = level_fraction(label)
        jitter = rng.normal(1.0, 0.02, size=3)
        height = (17.0 + 11.0 * f**1.1) * size_factor * jitter[0]
        depth = (16.0 + 19.0 * f**0.9) * size_factor * jitter[1]
        width = (25.0 + 25.0 * f**1.2) * size_factor * jitter[2]
        thoracic = label <= 19
        disc = rng.uniform(4.0, 6.0) if thoracic and label < 19 else rng.uniform(8.0, 12.0)
        # Endplate concavity 1-2 mm, capped so a normal body keeps a middle/rim height ratio > 0.85.
        concavity = min(rng.uniform(1.0, 2.0), 0.065 * height)
        plans.append(VertebraPlan(label, np.zeros(3), np.eye(3), height, depth, width, concavity,
                                  rng.uniform(2.2, 3.0), disc))

    # Sagittal curvature per unit arc length: kyphosis in T (positive), lordosis in L (negative).
    kyphosis = np.deg2rad(rng.uniform(20.0, 50.0))
    lordosis = np.deg2rad(rng.uniform(30.0, 60.0))
    scoliosis = np.deg2rad(rng.uniform(5.0, 15.0)) if rng.random() < scoliosis_probability else 0.0
    scol_phase = rng.uniform(0, 2 * np.pi)
    steps = [p.height / 2 + p.disc_below + q.height / 2 for p, q in zip(plans[:-1], plans[1:], strict=False)]
    s_nodes = np.concatenate([[0.0], np.cumsum(steps)])
    s_t_end = s_nodes[GENERATED_LABELS.index(19)] + 0.5 * steps[GENERATED_LABELS.index(19)]
    s_end = s_nodes[-1]

    ds = 0.5
    s_grid = np.arange(0.0, s_end + ds, ds)
    curv_sag = np.where(s_grid < s_t_end, kyphosis / s_t_end, -lordosis / (s_end - s_t_end))
    # Smooth the curvature change at the thoracolumbar junction (about 30 mm).
    kernel = np.exp(-0.5 * (np.arange(-60, 61) * ds / 15.0) ** 2)
    curv_sag = np.convolve(np.pad(curv_sag, 60, mode="edge"), kernel / kernel.sum(), mode="valid")
    theta = np.cumsum(curv_sag) * ds
    theta -= np.interp(s_t_end * 0.55, s_grid, theta)  # thoracic apex roughly vertical
    phi = scoliosis * np.sin(2 * np.pi * s_grid / s_end + scol_phase)

    # Tangent pointing caudally: world -z, tilted anteriorly by theta and laterally by phi.
    tangent = np.stack([np.sin(phi), np.sin(theta) * np.cos(phi), -np.cos(theta) * np.cos(phi)], axis=1)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    curve = np.cumsum(tangent, axis=0) * ds
    curve -= curve[0]

    twist_amp = np.deg2rad(rng.uniform(0.0, 5.0))
    for plan, s in zip(plans, s_nodes, strict=False):
        i = int(round(s / ds))
        t = tangent[i]
        cranial = -t
        anterior = np.array([0.0, 1.0, 0.0]) - np.dot([0.0, 1.0, 0.0], cranial) * cranial
        anterior /= np.linalg.norm(anterior)
        right = np.cross(anterior, cranial)
        rot = np.stack([right, anterior, cranial], axis=1)
        twist = twist_amp * np.sin(2 * np.pi * s / s_end + scol_phase) + rng.normal(0, np.deg2rad(1.0))
        plan.rotation = _rotation_about(cranial, twist) @ rot
        plan.centre = curve[i].copy()
    return plans
