"""Rule predict_report: the predict run's index of verdicts and a case page per vertebra."""

from pathlib import Path

import pandas as pd

from spinexai.io.cards import load_card
from spinexai.io.tables import PREDICT_METRICS, PREDICTIONS, read_table
from spinexai.predict.report import PredictReport
from spinexai.predict.trained import TrainedRun
from spinexai.report.build import ReportInputs
from spinexai.workflow import run


def _models(trained: TrainedRun) -> pd.DataFrame:
    rows = []
    for fold in trained.fold_ids():
        models = trained.fold(fold)
        for name in ("classifier3d", "prototypes", "keypoints", "attribution", "inpainter", "cf_classifier"):
            path = getattr(models, name)
            card = load_card(path) if path is not None else {}
            rows.append({"fold": fold, "model": name, "kind": card.get("kind", ""),
                         "file": str(path) if path is not None else "not in the trained run"})
        rows.append({"fold": fold, "model": "dissection", "kind": "thresholds and unit ranking",
                     "file": str(models.dissection) if models.dissection is not None else "not in the trained run"})
    return pd.DataFrame(rows)


def main(io):
    config = dict(io.params.config)
    settings = config["predict"]
    trained = TrainedRun(io.params.models, io.params.arm, settings.get("keypoint_arm", ""))
    pred = Path(io.output.index).parent.parent
    config["prototypes"] = {**config["prototypes"], "main_arm": io.params.arm}  # the arm the predict run scored
    inputs = ReportInputs(
        results=pred, config=config, config_sources=str(io.params.config_sources), manifest=Path(io.input.manifest),
        exclusions=Path(io.input.exclusions), patches=Path(io.input.patches), predictions=Path(io.input.classifier3d),
        heights=Path(io.input.heights), keypoints=Path(io.input.keypoints), prototypes=Path(io.input.grades).parent,
        counterfactual=Path(io.input.counterfactual).parent.parent, dissection=pred / "cases")
    PredictReport(inputs, Path(io.output.index).parent, read_table(io.input.predictions, PREDICTIONS),
                  read_table(io.input.metrics, PREDICT_METRICS), _models(trained), str(trained.results)).write()


run(main, globals())
