"""VerSe centroid JSONs hold vertebral-body centroids, so config/verse.yaml uses them as given."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import yaml
from scipy import ndimage

from conftest import REPO, real
from spinexai.io.centroids import read_centroids
from spinexai.io.nifti import read_header


def test_verse_config_uses_the_file_centroids() -> None:
    cfg = yaml.safe_load((REPO / "config" / "verse.yaml").read_text())
    assert cfg["dataset"]["centroids"] == "file"


def test_released_verse_centroids_lie_anterior_of_the_vertebra_centre_of_mass() -> None:
    """sub-verse004 as released: every JSON centroid is 5-20 mm anterior of its mask's centre of mass (on the body)."""
    mask_path = real("verse_sub-verse004_labels", "sub-verse004_seg-vert_msk.nii.gz")
    img = nib.load(mask_path)
    mask = np.asanyarray(img.dataobj).astype(np.int64)
    ctd = {c.label: c.world for c in read_centroids(real("verse_sub-verse004_labels", "sub-verse004_seg-subreg_ctd.json"),
                                                    read_header(mask_path)) if c.world is not None}
    labels = sorted(set(np.unique(mask)) - {0})
    assert set(ctd) == set(labels)
    for label, com in zip(labels, ndimage.center_of_mass(mask > 0, mask, labels), strict=True):
        shift = ctd[label] - (img.affine @ np.r_[com, 1.0])[:3]  # RAS: +y is anterior
        assert 5.0 < shift[1] < 20.0, (label, shift)
        assert abs(shift[0]) < 5.0  # on the midline
