"""The vertebra data model: a patches row's geometry answered once."""

import numpy as np
import pandas as pd

from spinexai.data.vertebra import Vertebra, vertebrae
from spinexai.io.nifti import write_image


def _row(tmp_path):
    patch = np.eye(4)
    patch[:3, 3] = [-10.0, 5.0, 2.0]
    write_image(tmp_path / "patch.nii.gz", np.zeros((8, 8, 8), np.int16), patch)
    sagittal = np.diag([0.5, 0.5, 1.0, 1.0])
    sagittal[:3, 3] = [100.0, 0.0, 0.0]
    write_image(tmp_path / "sag.nii.gz", np.zeros((6, 6, 1), np.int16), sagittal)
    return pd.Series({"subject": "s01", "label": 20, "ct_patch": str(tmp_path / "patch.nii.gz"),
                      "sag_ct": str(tmp_path / "sag.nii.gz")})


def test_identity_and_the_3d_input_grid(tmp_path):
    vertebra = Vertebra(_row(tmp_path))
    assert (vertebra.subject, vertebra.label, vertebra.case_id) == ("s01", 20, "sub-s01_vert-20")
    affine = vertebra.patch_input_affine(crop=4, size=2)
    # voxel 0 of the 2^3 input averages native voxels 2 and 3 (the central 4 of 8): centre 2.5 mm from the origin
    assert np.allclose(affine[:3, :3], 2 * np.eye(3))
    assert np.allclose(affine[:3, 3], [-10 + 2.5, 5 + 2.5, 2 + 2.5])


def test_sagittal_coordinates_and_field_of_view(tmp_path):
    vertebra = Vertebra.of(next(pd.DataFrame([_row(tmp_path)]).itertuples()))
    corners = vertebra.sagittal.voxel_to_world(np.array([[-0.5, -0.5, 0.0], [5.5, 5.5, 0.0]]))
    assert np.allclose(vertebra.sagittal_normalised(corners), [[-1, -1], [1, 1]])
    assert vertebra.sagittal_half_fov_mm == 6 * 0.5 / 2
    whole = vertebra.sagittal_input_affine(size=6)
    assert np.allclose(whole, vertebra.sagittal.affine)


def test_vertebrae_keep_the_rows_order(tmp_path):
    row = _row(tmp_path)
    frame = pd.DataFrame([row, row.replace(20, 21)])
    assert [v.label for v in vertebrae(frame)] == [20, 21]
