import numpy as np
import pandas as pd

from spinexai.benchmark.fold import GridMaps, add_references, score_grid
from spinexai.benchmark.grids import model_grid
from spinexai.benchmark.summary import summarise


def _grid_maps(n: int = 8) -> GridMaps:
    grid = model_grid("2d", (32, 32), (1.0, 1.0), 16)
    rows = pd.DataFrame({"subject": [f"s{i}" for i in range(n)], "label": 20, "level": "L1", "grade": [1] + [2] * (n - 1)})
    regions = np.zeros((n, 16, 16), bool)
    for i in range(n):
        regions[i, 2 + i % 3:5 + i % 3, 3:7] = True  # an off-centre region
    target = GridMaps(grid, rows, regions, np.full(n, 20.0))
    target.maps["gradcam"] = regions.astype(np.float32) + 0.01 * np.random.default_rng(0).random(regions.shape)
    add_references(target, seed=1)
    return target


def test_reference_rows_exist_for_every_vertebra_and_a_perfect_method_beats_the_prior():
    scores = score_grid(_grid_maps(), fold=0, tolerance_mm=2.0)
    assert set(scores.method) == {"gradcam", "centre_prior", "random"}
    assert (scores.groupby("method").size() == 8).all() and set(scores.group) == {"G1", "G2-G3"}
    summary = summarise(scores)
    row = summary[(summary.group == "G2-G3") & (summary.method == "gradcam") & (summary.metric == "auc")].iloc[0]
    assert row["mean"] == 1 and row["vs_prior_pairs"] == 7 and row["vs_prior_test"] == "approx"  # tied differences
    assert row["beats_prior"] and row["verdict"] == "beats the centre prior"
    prior = summary[(summary.method == "centre_prior")]
    assert (prior.verdict == "reference").all() and (prior.vs_gradcam_pairs > 0).all()
    assert not summary[(summary.method == "random") & (summary.metric == "hausdorff_mm")].beats_prior.any()
