"""The report on its own: empty states for stages that did not run, and settings read through the params."""

import pandas as pd

from spinexai.report.build import Report, ReportInputs


def test_a_run_with_no_stage_gives_an_index_of_empty_states(tmp_path):
    report = Report(ReportInputs(results=tmp_path, config={}), tmp_path / "report")
    pages = report.write()
    assert pages == [tmp_path / "report" / "index.html"]
    html = pages[0].read_text()
    for message in ("Network dissection has not run", "The prototype stage has not run",
                    "The counterfactual stage has not run", "The benchmark has not run"):
        assert message in html
    assert (tmp_path / "report" / "assets" / "niivue.umd.js").exists()  # the viewer is vendored, not fetched


def test_settings_come_from_the_stage_params_with_their_defaults(tmp_path):
    report = Report(ReportInputs(results=tmp_path, config={"prototypes": {"main_arm": "grid", "input_size": 112},
                                                           "dissection": {"quantile": 0.01}}), tmp_path)
    assert report.prototypes.main_arm == "grid" and report.prototypes.input_size == 112
    assert report.dissection.quantile == 0.01 and report.dissection.rank_by == "tp"  # a default of DissectionParams
    assert report.classifier3d.threshold == 0.5 and report.counterfactual.threshold == 0.55


def test_the_dissection_section_states_the_configured_quantile(tmp_path):
    root = tmp_path / "dissection"
    root.mkdir()
    pd.DataFrame({"fold": [0], "unit": [1]}).to_parquet(root / "top_units.parquet")
    report = Report(ReportInputs(results=tmp_path, config={"dissection": {"quantile": 0.02, "split": "val"}},
                                 dissection=root), tmp_path / "report")
    html = report.write()[0].read_text()
    assert "top 2.000% activation over the &#39;val&#39; split" in html  # HTML-escaped quotes
