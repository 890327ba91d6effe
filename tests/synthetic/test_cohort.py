import json

import numpy as np
import pytest

from conftest import SMALL
from spinexai.genant import classify, heights_from_points
from spinexai.io.centroids import read_centroids
from spinexai.io.nifti import read_header, read_labels
from spinexai.synthetic import fracture as fx
from spinexai.synthetic import write_subject
from spinexai.synthetic.cohort import subject_paths
from spinexai.synthetic.spine import build_spine


def test_same_seed_gives_byte_identical_files(synthetic_root, tmp_path):
    subject = SMALL.subject_ids()[1]
    write_subject(tmp_path, SMALL, subject)
    for key, path in subject_paths(tmp_path, subject).items():
        assert path.read_bytes() == subject_paths(synthetic_root, subject)[key].read_bytes(), key


def test_genant_rule_on_ground_truth_points_gives_back_the_draw():
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(40):
        plans = build_spine(rng, 0.2)
        for plan in plans:
            plan.fracture = fx.draw_fracture(rng, (1, 1, 1), (1, 1, 1), 0.5) if rng.random() < 0.7 else {}
            reading = classify(heights_from_points(fx.six_points_local(plan)), fx.expected_heights(plan))
            want = (plan.fracture.get("grade", 0), plan.fracture.get("morphology", "normal"))
            assert (reading.grade, reading.morphology) == want, plan.fracture
            seen.add(want)
    assert len(seen) == 10  # normal plus three grades of three morphologies


def test_ground_truth_json_matches_the_grade_table(synthetic_root):
    import pandas as pd

    long = pd.read_csv(synthetic_root / "fracture_morphology.csv")
    for subject in SMALL.subject_ids():
        truth = json.loads(subject_paths(synthetic_root, subject)["morphometry"].read_text())
        for v in truth["vertebrae"]:
            row = long[(long.subject == subject) & (long.label == v["label"])].iloc[0]
            assert (row.grade, row.morphology) == (v["grade"], v["morphology"])
            reading = classify(heights_from_points(np.array([v["points_mm"]["superior"], v["points_mm"]["inferior"]])),
                               v["expected_heights_mm"])
            assert reading.grade == v["grade"]


def test_centroids_are_body_centres_inside_the_body_mask(synthetic_root):
    for subject in SMALL.subject_ids():
        paths = subject_paths(synthetic_root, subject)
        body, header = read_labels(paths["body"])
        centroids = read_centroids(paths["centroids"], read_header(paths["ct"]))
        assert centroids
        for c in centroids:
            ijk = np.rint(header.world_to_voxel(c.world)).astype(int)
            assert body[tuple(ijk)] == c.label


def test_fracture_region_belongs_to_fractured_vertebrae(synthetic_root):
    for subject in SMALL.subject_ids():
        paths = subject_paths(synthetic_root, subject)
        truth = json.loads(paths["morphometry"].read_text())
        fractured = {v["label"] for v in truth["vertebrae"] if v["grade"] > 0}
        region, _ = read_labels(paths["fracture"])
        assert set(np.unique(region).tolist()) - {0} <= fractured
        assert all((region == label).any() for label in fractured)


def test_ct_is_int16_hu_with_the_drawn_orientation(synthetic_root):
    for subject in SMALL.subject_ids():
        paths = subject_paths(synthetic_root, subject)
        truth = json.loads(paths["morphometry"].read_text())
        header = read_header(paths["ct"])
        assert header.dtype == "int16"
        if not truth["scan"]["oblique"]:
            assert header.axcodes == truth["scan"]["axcodes"]
        np.testing.assert_allclose(sorted(header.spacing), sorted(truth["scan"]["spacing_mm"]), atol=1e-3)


@pytest.mark.parametrize("morphology", ["wedge", "biconcave", "crush"])
@pytest.mark.parametrize("loss", [0.205, 0.245, 0.255, 0.395, 0.405, 0.6])
def test_every_morphology_at_every_grade_boundary(morphology, loss):
    plan = build_spine(np.random.default_rng(3), 0.0)[12]
    for crush_kind in (["posterior", "uniform"] if morphology == "crush" else [""]):
        plan.fracture = {"grade": 0, "morphology": morphology, "crush_kind": crush_kind, "loss": loss,
                         "superior_share": 0.5, "acute": False}
        reading = classify(heights_from_points(fx.six_points_local(plan)), fx.expected_heights(plan))
        assert reading.morphology == morphology
        assert reading.loss == pytest.approx(loss, abs=1e-6)
