import numpy as np
import pytest

from spinexai.benchmark.metrics import distance_to, hausdorff_mm, peak, score_map, top_k


def _region_2d() -> np.ndarray:
    region = np.zeros((20, 24), bool)
    region[5:9, 6:12] = True
    return region


def _region_3d() -> np.ndarray:
    region = np.zeros((12, 12, 10), bool)
    region[3:6, 4:7, 2:5] = True
    return region


@pytest.mark.parametrize("region,spacing", [(_region_2d(), (0.5, 0.5)), (_region_3d(), (2.0, 1.0, 1.5))])
def test_a_map_equal_to_the_region_scores_perfectly(region, spacing):
    scores = score_map(region.astype(float), region, spacing)
    assert scores == {"pointing": 1.0, "energy": 1.0, "topk_iou": 1.0, "hausdorff_mm": 0.0, "auc": 1.0, "empty": False}


@pytest.mark.parametrize("region,spacing", [(_region_2d(), (0.5, 0.5)), (_region_3d(), (2.0, 1.0, 1.5))])
def test_a_map_outside_the_region_scores_zero(region, spacing):
    outside = distance_to(region, spacing)  # zero on R, growing away from it: the peak is far from R
    scores = score_map(outside, region, spacing)
    assert scores["pointing"] == 0 and scores["energy"] == 0 and scores["topk_iou"] == 0 and scores["auc"] == 0
    assert scores["hausdorff_mm"] > 2


def test_a_constant_map_has_auc_one_half_and_an_empty_map_is_counted():
    region = _region_2d()
    assert score_map(np.full(region.shape, 3.0), region, 1.0)["auc"] == 0.5
    empty = score_map(-np.ones(region.shape), region, 1.0)  # negative relevance is set to 0
    assert empty["empty"] and empty["pointing"] == 0 and empty["energy"] == 0 and empty["auc"] == 0.5


def test_pointing_tolerates_two_mm_and_ties_use_the_centroid():
    region = _region_2d()
    near = np.zeros(region.shape)
    near[10, 8] = 1  # two rows below R at 1 mm spacing: inside the 2 mm dilation
    assert score_map(near, region, 1.0)["pointing"] == 1
    assert score_map(near, region, (1.5, 1.0))["pointing"] == 0  # 3 mm away
    ties = np.zeros(region.shape)
    ties[0, 0] = ties[14, 18] = 1  # the centroid (7, 9) lies in R though neither peak does
    assert peak(ties) == (7, 9) and score_map(ties, region, 1.0)["pointing"] == 1


def test_top_k_keeps_ties_and_hausdorff_is_symmetric_in_mm():
    values = np.array([[3, 2, 2], [1, 0, 0]], float)
    assert top_k(values, 2).sum() == 3
    a = np.zeros((5, 5), bool)
    b = np.zeros((5, 5), bool)
    a[0, 0], b[0, 0], b[4, 0] = True, True, True
    assert hausdorff_mm(a, b, (0.5, 2.0)) == hausdorff_mm(b, a, (0.5, 2.0)) == 2.0


def test_hand_computed_values():
    region = np.zeros((4, 4), bool)
    region[1:3, 1:3] = True
    relevance = np.zeros((4, 4))
    relevance[1, 1], relevance[1, 2], relevance[0, 0], relevance[3, 3] = 4, 1, 2, 3
    scores = score_map(relevance, region, 1.0)
    assert scores["energy"] == pytest.approx(5 / 10)
    # top-4 = the four non-zero pixels, two of them in R: IoU 2 / 6
    assert scores["topk_iou"] == pytest.approx(2 / 6)
    # AUC: R values {4, 1, 0, 0}, others {2, 3, 0 x 10}; P(r > o) + ties / 2 over 4 x 12 pairs
    wins = sum((r > o) + 0.5 * (r == o) for r in (4, 1, 0, 0) for o in [2, 3] + [0] * 10)
    assert scores["auc"] == pytest.approx(wins / 48)
    assert scores["pointing"] == 1  # the peak (1, 1) is in R
    # top-4 vs R: (0, 0) and (3, 3) lie sqrt(2) from R; R's (2, 1) and (2, 2) lie 1 from the set
    assert scores["hausdorff_mm"] == pytest.approx(np.sqrt(2))


def test_two_metrics_agree_with_quantus():
    quantus = pytest.importorskip("quantus")
    rng = np.random.default_rng(0)
    a = rng.normal(size=(6, 1, 8, 8)).clip(0, None)
    s = np.zeros((6, 1, 8, 8))
    for n in range(6):
        r, c = rng.integers(0, 5, 2)
        s[n, 0, r:r + 3, c:c + 4] = 1
    x, y = rng.random((6, 1, 8, 8)), np.zeros(6, int)
    kw = {"disable_warnings": True, "normalise": False, "abs": False}
    auc = quantus.AUC(**kw)(model=None, x_batch=x, y_batch=y, a_batch=a, s_batch=s)
    mass = quantus.RelevanceMassAccuracy(**kw)(model=None, x_batch=x, y_batch=y, a_batch=a, s_batch=s)
    ours = [score_map(a[n, 0], s[n, 0] > 0, 1.0) for n in range(6)]
    assert np.allclose([o["auc"] for o in ours], auc)
    assert np.allclose([o["energy"] for o in ours], mass)
