"""Genant fractures of the synthetic vertebral body: drawing, endplate deformation and six points.

Body geometry in the local frame (x right, y anterior, z cranial), with ``a = width/2``,
``b = depth/2``: the cross-section is the superellipse ``rho(x, y) <= 1``; the endplates are
``z = +-(H/2 - c (1 - rho^2))`` (central concavity ``c``). A fracture lowers the superior and/or
raises the inferior endplate by ``A * w(x, y)``, with the amplitude ``A`` chosen so the height loss
measured at the six points equals the drawn loss exactly (against the undeformed heights).
"""

from __future__ import annotations

import numpy as np

from spinexai.synthetic.spine import VertebraPlan

# Anteroposterior measurement positions as a fraction of the half-depth (10%, 50%, 90% of depth).
MEASURE_V = {"anterior": 0.8, "middle": 0.0, "posterior": -0.8}
GRADE_LOSS = {1: (0.205, 0.245), 2: (0.255, 0.395), 3: (0.405, 0.60)}


def draw_fracture(rng: np.random.Generator, grade_probs, morphology_probs, acute_fraction: float) -> dict:
    """Grade, morphology, loss, affected endplates and acute signs of one fracture."""
    grade = int(rng.choice([1, 2, 3], p=np.asarray(grade_probs) / np.sum(grade_probs)))
    morphology = str(rng.choice(["wedge", "biconcave", "crush"], p=np.asarray(morphology_probs) / np.sum(morphology_probs)))
    loss = float(rng.uniform(*GRADE_LOSS[grade]))
    side = str(rng.choice(["superior", "inferior", "both"], p=[0.6, 0.15, 0.25]))
    acute = bool(rng.random() < acute_fraction)
    return {
        "grade": grade,
        "morphology": morphology,
        "crush_kind": str(rng.choice(["posterior", "uniform"])) if morphology == "crush" else "",
        "loss": loss,
        "side": side,
        "superior_share": {"superior": 1.0, "inferior": 0.0, "both": float(rng.uniform(0.35, 0.65))}[side],
        "acute": acute,
        "band_mm": float(rng.uniform(2.0, 4.0)),
        "band_hu": float(rng.uniform(100.0, 300.0)),
        "step_mm": float(rng.uniform(1.0, 2.0)),  # outward step of the anterior cortex (acute only)
    }


def superellipse_rho(x: np.ndarray, y: np.ndarray, plan: VertebraPlan) -> np.ndarray:
    p = plan.superellipse
    a, b = plan.width / 2, plan.depth / 2
    return (np.abs(x / a) ** p + np.abs(y / b) ** p) ** (1.0 / p)


def undeformed_height(rho: np.ndarray, plan: VertebraPlan) -> np.ndarray:
    return plan.height - 2.0 * plan.concavity * (1.0 - np.minimum(rho, 1.0) ** 2)


def _profile(v: np.ndarray, rho: np.ndarray, fracture: dict) -> np.ndarray:
    """Shape of the height loss, 1 at the measured position of the fracture."""
    morph = fracture["morphology"]
    if morph == "wedge":
        return np.clip((v + 0.8) / 1.6, 0.0, 1.15) ** 2
    if morph == "crush" and fracture["crush_kind"] == "posterior":
        return np.clip((0.8 - v) / 1.6, 0.0, 1.15) ** 2
    if morph == "biconcave":
        return np.maximum(0.0, 1.0 - (rho / 0.7) ** 2) ** 2
    return np.ones_like(v)  # uniform crush


def height_loss_mm(x: np.ndarray, y: np.ndarray, plan: VertebraPlan) -> np.ndarray:
    """Total height lost at (x, y) of the body (0 where not fractured)."""
    f = plan.fracture
    if not f:
        return np.zeros(np.broadcast(x, y).shape)
    rho = superellipse_rho(x, y, plan)
    v = y / (plan.depth / 2)
    if f["morphology"] == "crush" and f["crush_kind"] == "uniform":
        return f["loss"] * undeformed_height(rho, plan)
    position = {"wedge": "anterior", "biconcave": "middle", "crush": "posterior"}[f["morphology"]]
    v_m = MEASURE_V[position]
    amplitude = f["loss"] * undeformed_height(np.array(abs(v_m)), plan)
    return amplitude * _profile(v, rho, f)


def endplates(x: np.ndarray, y: np.ndarray, plan: VertebraPlan, deformed: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Superior and inferior endplate heights z (local mm) at (x, y)."""
    rho = superellipse_rho(x, y, plan)
    half = undeformed_height(rho, plan) / 2
    sup, inf = half, -half
    if deformed and plan.fracture:
        loss = height_loss_mm(x, y, plan)
        share = plan.fracture["superior_share"]
        sup = sup - share * loss
        inf = inf + (1.0 - share) * loss
    return sup, inf


def six_points_local(plan: VertebraPlan) -> np.ndarray:
    """(2, 3, 3): superior then inferior endplate points at anterior, middle, posterior (local mm)."""
    ys = np.array([MEASURE_V[k] for k in ("anterior", "middle", "posterior")]) * plan.depth / 2
    xs = np.zeros(3)
    sup, inf = endplates(xs, ys, plan)
    return np.stack([np.stack([xs, ys, sup], axis=1), np.stack([xs, ys, inf], axis=1)])


def expected_heights(plan: VertebraPlan) -> np.ndarray:
    """Undeformed heights at the anterior, middle and posterior positions."""
    vs = np.abs([MEASURE_V[k] for k in ("anterior", "middle", "posterior")])
    return undeformed_height(vs, plan)


def body_centre_local(plan: VertebraPlan) -> np.ndarray:
    """Centre of the (possibly deformed) body on its axis, local mm."""
    sup, inf = endplates(np.zeros(1), np.zeros(1), plan)
    return np.array([0.0, 0.0, float((sup[0] + inf[0]) / 2)])
