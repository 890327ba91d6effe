"""docs/study.md generator: on the tiny pipeline run (shared with test_pipeline.py) and on missing tables."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import REPO
from spinexai.study import write_study

pytestmark = pytest.mark.xdist_group("pipeline")  # reads the session's one tiny pipeline run

HEADINGS = ("## Summary", "## 3D fracture classifier (Engstler et al. 2022)",
            "## ProtoVerse: Genant grading with prototypes (Sinhamahapatra et al. 2024)",
            "## Counterfactual impact analysis (Lenis et al. 2020)", "## Network dissection (Engstler et al. 2022)",
            "## Keypoints and the differentiable Genant rule (XVFA)", "## Explanation benchmark", "## Tables not found")
SECTIONS = ["classifier3d", "prototypes", "counterfactual", "dissection", "keypoints", "benchmark", "missing"]
VERDICTS = {"confirmed", "missed", "not run", "not measured", "no goal"}


def _claims(data: dict) -> dict[tuple[str, int], dict]:
    return {(s["key"], n): c for s in data["sections"] for n, c in enumerate(s["claims"])}


@pytest.mark.slow
def test_study_document_from_the_tiny_run(tiny_pipeline, tmp_path):
    out = tmp_path / "docs/study.md"
    run = subprocess.run([sys.executable, "-m", "spinexai.study", "--results", str(tiny_pipeline / "results"),
                          "--config", str(tiny_pipeline / "config/test.yaml"), "--out", str(out),
                          "--command", "snakemake --configfile config/test.yaml", "--wall-time", "4 min"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    text = out.read_text()
    for heading in HEADINGS:
        assert heading in text, heading
    assert "Command: `snakemake --configfile config/test.yaml`" in text and "Wall time: 4 min" in text
    assert "(`results/benchmark/summary.parquet`, which also has the SDs" in text  # the benchmark ran in this run
    assert "**G2-G3** test vertebrae:" in text and "| grid | method | pointing |" in text
    data = json.loads((tmp_path / "docs/study.json").read_text())
    assert [s["key"] for s in data["sections"]] == SECTIONS
    claims = _claims(data)
    assert {c["verdict"] for c in claims.values()} <= VERDICTS - {"not run"}  # every stage ran
    # The figures are the tables' own: the classifier's test AUC is Table 1's mean over folds.
    table1 = pd.read_parquet(tiny_pipeline / "results/classifier3d/table1.parquet").set_index(["split", "metric"])
    auc = claims[("classifier3d", 0)]
    assert auc["mean"] == pytest.approx(table1.loc[("test", "auc"), "mean"])
    assert set(auc["folds"]) == {"0", "1"}
    f1 = pd.read_parquet(tiny_pipeline / "results/prototypes/metrics_by_fold.parquet")
    f1 = f1[(f1.arm == "protoverse") & (f1.split == "test")]
    assert claims[("prototypes", 0)]["mean"] == pytest.approx(f1.class_f1.mean())
    top3 = pd.read_parquet(tiny_pipeline / "results/prototypes/protoverse/fold0/top3.parquet")
    if "peak_in_body" not in top3.columns:  # the body test needs a column the tables lack: say so, do not invent it
        assert claims[("prototypes", 3)]["verdict"] == "not measured" and "peak_in_body" in claims[("prototypes", 3)]["note"]
    assert "mask-derived targets" in claims[("keypoints", 0)]["note"]
    assert claims[("dissection", 1)]["ours"] and claims[("dissection", 1)]["ours"] in text  # the concepts are named


@pytest.mark.slow
def test_study_with_a_missing_stage_says_not_run(tiny_pipeline, tmp_path):
    """Tables taken away (the counterfactual stage, one classifier fold) give 'not run', not a crash."""
    results = tmp_path / "results"
    shutil.copytree(tiny_pipeline / "results", results,
                    ignore=lambda folder, names: [n for n in names if "." in n and not n.endswith(".parquet")])
    shutil.rmtree(results / "counterfactual")
    (results / "classifier3d/fold0/metrics.parquet").unlink()
    md, js = write_study(results, [tiny_pipeline / "config/test.yaml"], tmp_path / "study.md")
    text = md.read_text()
    for heading in HEADINGS:
        assert heading in text, heading
    claims = _claims(json.loads(js.read_text()))
    assert all(c["verdict"] == "not run" for (key, _), c in claims.items() if key == "counterfactual")
    assert set(claims[("classifier3d", 0)]["folds"]) == {"1"} and "[0]" in claims[("classifier3d", 0)]["note"]
    assert "results/counterfactual/fold0/domain.parquet" in text  # listed under the tables not found


def test_study_on_an_empty_results_folder(tmp_path):
    """Nothing has run: every claim says 'not run' and the document still has every section."""
    (tmp_path / "results").mkdir()
    md, js = write_study(tmp_path / "results", [REPO / "config/test.yaml"], tmp_path / "docs/study.md")
    text = md.read_text()
    for heading in HEADINGS:
        assert heading in text, heading
    claims = _claims(json.loads(js.read_text()))
    assert claims and all(c["verdict"] == "not run" and c["mean"] is None for c in claims.values())


def test_a_table_without_a_needed_column_is_not_measured(tmp_path):
    """A table written without a column the schema names is reported as such, not read past."""
    folder = tmp_path / "results/morphometry/keypoints"
    folder.mkdir(parents=True)
    pd.DataFrame({"arm": ["all"], "split": ["test"], "task": ["moderate"], "metric": ["auc"]}).to_parquet(
        folder / "table.parquet")
    _, js = write_study(tmp_path / "results", [REPO / "config/test.yaml"], tmp_path / "study.md")
    claim = _claims(json.loads(js.read_text()))[("keypoints", 1)]
    assert claim["verdict"] == "not measured" and "'mean'" in claim["note"]


def test_cli_help_lists_the_options():
    run = subprocess.run([sys.executable, "-m", "spinexai.study", "--help"], capture_output=True, text=True, timeout=120,
                         cwd=Path(REPO))
    assert run.returncode == 0 and all(o in run.stdout for o in ("--results", "--config", "--out", "--command", "--wall-time"))


def _write(results: Path, schema, rows: list[dict], **keys: object) -> None:
    from spinexai.io import tables as T

    rel = schema.path.removeprefix("results/")
    for key, value in keys.items():
        rel = rel.replace(f"<{key}>", str(value))
    defaults = {"string": "", "int64": 0, "float64": float("nan"), "bool": False}
    df = pd.DataFrame([{c.name: row.get(c.name, defaults[c.dtype]) for c in schema.columns} for row in rows])
    (results / rel).parent.mkdir(parents=True, exist_ok=True)
    T.write_table(df, results / rel, schema)


def test_top1_peak_in_body_is_measured_on_g2_g3_test_vertebrae(tmp_path):
    """With a body column the claim is the share of G2/G3 test vertebrae whose top-1 peak lies in the body."""
    from spinexai.io import tables as T

    if "peak_in_body" not in T.PROTO_TOP.names:
        pytest.skip("prototype_top3 has no peak_in_body column in this version")
    results = tmp_path / "results"
    grades = {"a": 2, "b": 3, "c": 0, "d": 2}
    in_body = {0: {"a": 1.0, "b": 1.0, "c": 0.0, "d": 0.0}, 1: {"a": 1.0, "b": 1.0, "c": 0.0, "d": 1.0}}
    for k in (0, 1):
        _write(results, T.PROTO_PREDICTIONS, [{"subject": s, "label": 20, "grade": g, "split": "test", "fold": k,
                                               "arm": "protoverse"} for s, g in grades.items()], arm="protoverse", k=k)
        _write(results, T.PROTO_TOP, [{"subject": s, "label": 20, "split": "test", "rank": r, "fold": k, "arm": "protoverse",
                                       "peak_in_body": in_body[k][s] if r == 1 else 0.0} for s in grades for r in (1, 2, 3)],
               arm="protoverse", k=k)
    _, js = write_study(results, [REPO / "config/test.yaml"], tmp_path / "study.md")
    claim = _claims(json.loads(js.read_text()))[("prototypes", 3)]
    assert claim["folds"] == {"0": pytest.approx(2 / 3), "1": pytest.approx(1.0)}
    assert claim["mean"] == pytest.approx(5 / 6) and claim["verdict"] == "confirmed"
