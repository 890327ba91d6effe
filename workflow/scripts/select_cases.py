"""Rule select_cases: the vertebrae explained case by case (config list plus TP/FP/FN per fold)."""

from spinexai.cases import select_cases
from spinexai.io.tables import CASES, CLASSIFIER_PREDICTIONS, read_table, write_table
from spinexai.workflow import run


def main(io):
    predictions = read_table(io.input.predictions, CLASSIFIER_PREDICTIONS)
    cfg = io.params.cases
    cases = select_cases(predictions, list(cfg.get("list", [])), cfg, cfg.get("split", "test"))
    write_table(cases, io.output.cases, CASES)


run(main, globals())
