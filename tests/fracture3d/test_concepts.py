"""Anatomical concept masks of a patch built from a hand-made label volume."""

import numpy as np

from spinexai.fracture3d.dissection.concepts import ConceptParams, estimate_body, patch_concepts


def _spine():
    """Axis 0 inferior, axis 1 posterior: three stacked bodies (labels 19, 20, 21) with 20 in the middle,
    discs of 4 voxels between them, and a posterior arch on 20."""
    v = np.zeros((40, 30, 10), np.int16)
    v[0:8, 5:15, 2:8] = 19
    v[12:24, 5:15, 2:8] = 20
    v[28:36, 5:15, 2:8] = 21
    v[14:20, 15:25, 4:6] = 20  # arch
    body = np.where(v > 0, v, 0)
    body[:, 15:] = 0
    return v, body


def test_concepts_of_a_hand_made_patch():
    v, body = _spine()
    c = patch_concepts(20, v, body, None, ConceptParams(endplate_mm=2, disc_mm=4))
    assert c["vertebral_body"].sum() == 12 * 10 * 6
    assert c["superior_endplate"][12:14].all(axis=0)[5:15, 2:8].all() and not c["superior_endplate"][14:].any()
    assert c["inferior_endplate"][22:24, 5:15, 2:8].all() and not c["inferior_endplate"][:22].any()
    discs = np.argwhere(c["discs"])
    assert set(np.unique(discs[:, 0])) == {8, 9, 10, 11, 24, 25, 26, 27}
    assert c["posterior_elements"].sum() == 6 * 10 * 2
    assert c["adjacent_vertebrae"].sum() == (v == 19).sum() + (v == 21).sum()
    assert c["fracture"] is None


def test_body_estimate_without_a_body_mask():
    v, _ = _spine()
    est = estimate_body(v == 20, 0.4)
    along = np.nonzero(est.any(axis=(0, 2)))[0]
    assert along.min() == 5 and along.max() == 12  # anterior 40% of the 20-voxel depth
    c = patch_concepts(20, v, None, np.zeros_like(v), ConceptParams())
    assert c["vertebral_body"].sum() == est.sum() and not c["fracture"].any()
