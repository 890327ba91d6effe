"""Rule summarise_keypoints: the XVFA table analogue over folds and arms, morphology confusion, decision borders."""

import pandas as pd

from spinexai.io.atomic import write_figure
from spinexai.io.tables import (
    KEYPOINT_METRICS,
    KEYPOINT_PREDICTIONS,
    KEYPOINT_TABLE,
    MORPHOLOGY_CONFUSION,
    read_table,
    write_table,
)
from spinexai.morphometry.keypoint_summary import decision_border_figure, morphology_confusion, summarise
from spinexai.workflow import as_list, run


def main(io):
    metrics = pd.concat([read_table(p, KEYPOINT_METRICS) for p in as_list(io.input.metrics)], ignore_index=True)
    predictions = pd.concat([read_table(p, KEYPOINT_PREDICTIONS) for p in as_list(io.input.predictions)],
                            ignore_index=True)
    write_table(summarise(metrics), io.output.table, KEYPOINT_TABLE)
    write_table(metrics, io.output.metrics, KEYPOINT_METRICS)
    write_table(predictions, io.output.predictions, KEYPOINT_PREDICTIONS)
    write_table(morphology_confusion(predictions), io.output.confusion, MORPHOLOGY_CONFUSION)
    arms = list(io.params.keypoints["arms"])
    arm = "all" if "all" in arms else arms[-1]
    write_figure(decision_border_figure(predictions, arm), io.output.figure)


run(main, globals())
