"""Model cards: what built the weights, read back with errors that name the file."""

import json

import numpy as np
import pandas as pd
import pytest

from spinexai.errors import InputError
from spinexai.io.cards import card_path, input_geometry, load_card
from spinexai.io.nifti import write_image


def test_a_missing_or_broken_card_is_named(tmp_path):
    path = tmp_path / "model.pt"
    path.write_bytes(b"weights")
    with pytest.raises(InputError, match=r"model\.json.*no model card"):
        load_card(path)
    card_path(path).write_text("{")
    with pytest.raises(InputError, match="not valid JSON"):
        load_card(path)
    card_path(path).write_text(json.dumps({"format": 1, "params": {}}))
    with pytest.raises(InputError, match="'kind'"):
        load_card(path)


def test_input_geometry_reads_shape_and_spacing_of_the_first_image(tmp_path):
    affine = np.diag([0.5, 0.5, 1.0, 1.0])
    write_image(tmp_path / "sag.nii.gz", np.zeros((8, 6, 1), np.float32), affine)
    rows = pd.DataFrame({"sag_ct": [str(tmp_path / "sag.nii.gz"), "unread"]})
    assert input_geometry(rows) == {"sag_ct": {"shape": [8, 6, 1], "spacing_mm": [0.5, 0.5, 1.0]}}
    assert input_geometry(rows.iloc[:0]) == {}
