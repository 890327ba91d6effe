"""Rule summarise_classifier_3d: the Table 1 analogue over folds and the ROC/PR figure."""

import pandas as pd

from spinexai.fracture3d.classifier import curves_figure, summarise
from spinexai.io.atomic import write_atomic
from spinexai.io.tables import CLASSIFIER_METRICS, CLASSIFIER_PREDICTIONS, CLASSIFIER_SUMMARY, write_table
from spinexai.workflow import as_list, run


def main(io):
    metrics = pd.concat([pd.read_parquet(p) for p in as_list(io.input.metrics)], ignore_index=True)
    predictions = pd.concat([pd.read_parquet(p) for p in as_list(io.input.predictions)], ignore_index=True)
    write_table(summarise(metrics), io.output.table, CLASSIFIER_SUMMARY)
    write_table(metrics, io.output.folds, CLASSIFIER_METRICS)
    write_table(predictions, io.output.predictions, CLASSIFIER_PREDICTIONS)
    write_atomic(io.output.figure, lambda tmp: curves_figure(predictions).savefig(tmp, dpi=120, format="png"))


run(main, globals())
