"""Mask-derived six-point morphometry against the synthetic generator's ground truth."""

import numpy as np
import pandas as pd
import pytest

from spinexai.data.ingest import IngestParams, ingest
from spinexai.genant import classify
from spinexai.geometry.reformat import ReformatParams, reformat_subject
from spinexai.morphometry.points import six_points
from spinexai.morphometry.table import morphometry_table

PARAMS = ReformatParams(patch_size=48, sagittal_size=128, sagittal_spacing_mm=0.5)


def test_six_points_of_a_rectangle():
    mask = np.zeros((40, 60), bool)
    mask[10:30, 20:50] = True  # 20 rows high, 30 columns deep
    pts = six_points(mask)
    np.testing.assert_allclose(pts.heights(1.0), [20, 20, 20])
    np.testing.assert_allclose(pts.cols, [22, 34, 46])


def test_six_points_of_a_wedge():
    mask = np.zeros((60, 60), bool)
    for col in range(20, 50):
        top = int(10 + (50 - col) * 0.4)  # the front (low columns) loses height
        mask[top:40, col] = True
    h = six_points(mask).heights(1.0)
    assert h[0] < h[1] < h[2]
    assert classify(tuple(h)).morphology == "wedge"


@pytest.fixture(scope="module")
def table(synthetic_root, tmp_path_factory):
    manifest, _ = ingest(synthetic_root, IngestParams())
    out = tmp_path_factory.mktemp("morpho")
    patches, splines = [], {}
    for subject, rows in manifest.groupby("subject"):
        p, spline = reformat_subject(rows, out / subject, PARAMS)
        patches.append(p)
        splines[subject] = spline
    return morphometry_table(pd.concat(patches, ignore_index=True), splines, size=128, spacing=0.5)


def test_mask_points_agree_with_the_generator(table):
    measured = table[table.status == "measured"]
    assert len(measured) > 10
    error = measured.point_error_mm.mean()
    heights = measured[["ha", "hm", "hp"]].to_numpy() - measured[["true_ha", "true_hm", "true_hp"]].to_numpy()
    print(f"mean six-point error {error:.2f} mm over {len(measured)} vertebrae; height error {np.abs(heights).mean():.2f} mm")
    assert error < 2.0
    assert np.abs(measured.ha - measured.true_ha).mean() < 1.5


def test_ratios_are_consistent(table):
    m = table[table.status == "measured"]
    np.testing.assert_allclose(m.apr, m.ha / m.hp)
    np.testing.assert_allclose(m.mar, m.hm / m.ha)


def test_table_records_the_expected_heights_of_its_reading(table):
    m = table[table.status == "measured"]
    assert set(m.expected_source) <= {"own", "neighbours"} and (table[table.status != "measured"].expected_source == "").all()
    own = m[m.expected_source == "own"]
    np.testing.assert_allclose(own[["expected_ha", "expected_hm", "expected_hp"]].to_numpy(),
                               np.repeat(own[["ha", "hm", "hp"]].max(axis=1).to_numpy()[:, None], 3, 1))
    for r in m.itertuples():
        reading = classify((r.ha, r.hm, r.hp), (r.expected_ha, r.expected_hm, r.expected_hp))
        assert (reading.grade, reading.morphology) == (r.genant_grade, r.genant_morphology)
