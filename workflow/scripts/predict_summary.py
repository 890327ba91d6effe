"""Rule predict_summary: the verdict per vertebra (every fold combined), the stacked per-fold tables and
the metrics against the new data's grades where it has them."""

from pathlib import Path

import pandas as pd

from spinexai.io.cards import load_card
from spinexai.io.tables import (
    CASE_RELEVANCE,
    CLASSIFIER_PREDICTIONS,
    KEYPOINT_PREDICTIONS,
    MORPHOMETRY,
    PREDICT_METRICS,
    PREDICTIONS,
    PROTO_PREDICTIONS,
    PROTO_TOP,
    concat_rows,
    read_table,
    write_table,
)
from spinexai.predict.summary import metrics, vertebra_table
from spinexai.predict.trained import TrainedRun
from spinexai.workflow import as_list, run


def _stack(paths, schema) -> pd.DataFrame:
    return concat_rows([read_table(p, schema) for p in as_list(paths)], schema)


def main(io):
    settings = io.params.predict
    trained = TrainedRun(io.params.models, io.params.arm, settings.get("keypoint_arm", ""))
    fold = int(settings["explain_fold"])
    card = load_card(trained.fold(fold).classifier3d)
    threshold = float(card["params"].get("threshold", 0.5))
    classifier = _stack(io.input.classifier3d, CLASSIFIER_PREDICTIONS)
    grades = _stack(io.input.grades, PROTO_PREDICTIONS)
    keypoints = _stack(io.input.keypoints, KEYPOINT_PREDICTIONS)
    relevance = []
    for folder in as_list(io.input.cases):
        for path in sorted(Path(folder).glob("vert-*/relevance.parquet")):
            subject = Path(folder).name.removeprefix("sub-")
            label = int(path.parent.name.removeprefix("vert-"))
            relevance.append(read_table(path, CASE_RELEVANCE).assign(subject=subject, label=label))
    relevance = pd.concat(relevance, ignore_index=True) if relevance else pd.DataFrame()
    verdicts = vertebra_table(classifier, grades, keypoints, read_table(io.input.top3, PROTO_TOP), relevance,
                              read_table(io.input.heights, MORPHOMETRY), threshold, fold, int(io.params.units))
    proto_card = trained.fold(fold).prototypes
    classes = load_card(proto_card)["params"].get("grades", [0, 2, 3]) if proto_card is not None else []
    write_table(verdicts, io.output.predictions, PREDICTIONS)
    write_table(metrics(classifier, grades, keypoints, verdicts, classes, threshold), io.output.metrics, PREDICT_METRICS)
    write_table(classifier, io.output.classifier3d, CLASSIFIER_PREDICTIONS)
    write_table(grades, io.output.grades, PROTO_PREDICTIONS)
    write_table(keypoints, io.output.keypoints, KEYPOINT_PREDICTIONS)


run(main, globals())
