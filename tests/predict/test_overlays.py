"""case_maps picks each case's saved 2D maps: the top-3 prototypes by rank and the counterfactual stage's maps."""

import numpy as np
import pandas as pd

from spinexai.report.overlays import MAPS_2D, case_maps


def _similarity(tmp_path):
    sims = np.arange(2 * 5 * 7 * 7, dtype=np.float16).reshape(2, 5, 7, 7)
    np.savez(tmp_path / "similarity.npz", test_similarity=sims, test_subject=np.array(["a", "b"]),
             test_label=np.array([20, 21]))
    top = pd.DataFrame({"subject": ["b"] * 3, "label": [21] * 3, "rank": [2, 1, 3], "prototype": [4, 0, 2]})
    top.to_parquet(tmp_path / "top3.parquet")
    return sims


def test_top3_prototypes_by_rank_and_every_counterfactual_map(tmp_path):
    sims = _similarity(tmp_path)
    grid = np.random.default_rng(0).random((1, 8, 8)).astype(np.float16)
    np.savez(tmp_path / "maps.npz", val_subject=np.array(["b"]), val_label=np.array([21]),
             **{f"val_{key}": grid * k for k, key in enumerate(("map", "gradcam", "gradcam_pp", "xgradcam", "saliency"), 1)})
    maps, missing = case_maps("b", 21, tmp_path / "similarity.npz", tmp_path / "top3.parquet", tmp_path / "maps.npz")
    assert not missing and set(maps) == set(MAPS_2D)
    for rank, prototype in ((1, 0), (2, 4), (3, 2)):
        assert np.array_equal(maps[f"prototype{rank}"], sims[1, prototype].astype(np.float32))
    assert np.allclose(maps["xgradcam"], grid[0] * 4)


def test_an_older_maps_file_says_which_array_it_lacks(tmp_path):
    _similarity(tmp_path)
    np.savez(tmp_path / "maps.npz", test_subject=np.array(["a"]), test_label=np.array([20]),
             **{f"test_{key}": np.zeros((1, 8, 8)) for key in ("map", "gradcam", "saliency")})
    maps, missing = case_maps("a", 20, tmp_path / "similarity.npz", tmp_path / "top3.parquet", tmp_path / "maps.npz")
    assert {"counterfactual", "gradcam", "saliency"} <= set(maps)
    assert "test_gradcam_pp" in missing["gradcam_pp"] and "test_xgradcam" in missing["xgradcam"]
    assert all(f"prototype{k}" in missing for k in (1, 2, 3))  # "a" has no top-3 rows
