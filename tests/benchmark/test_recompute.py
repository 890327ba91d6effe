"""scripts/recompute_benchmark.py: the saved maps, scored again without spinexai, agree with the benchmark table."""

import json
import subprocess
import sys

import pytest

from conftest import REPO

pytestmark = pytest.mark.xdist_group("pipeline")  # reads the session's one tiny pipeline run


@pytest.mark.slow
def test_pointing_and_topk_iou_recomputed_from_the_saved_maps_agree(tiny_pipeline, tmp_path):
    out = tmp_path / "recompute.json"
    run = subprocess.run([sys.executable, str(REPO / "scripts/recompute_benchmark.py"), "--results", "results",
                          "--dataset", "results/data/synthetic", "--json", str(out)],
                         cwd=tiny_pipeline, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = json.loads(out.read_text())
    assert {r["grid"] for r in rows} == {"2d", "3d"}
    assert len({r["method"] for r in rows}) >= 3
    for row in rows:
        assert row["region_dice"] >= 0.8, row
        assert row["pointing_agree"] >= 0.9, row
        assert abs(row["topk_iou"] - row["topk_iou_pipeline"]) <= 0.05, row
