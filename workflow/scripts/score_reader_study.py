"""Rule score_reader_study: the Table 4 analogue from the filled reader forms listed in the config."""

import pandas as pd

from spinexai.io.tables import READER_SCORES, write_table
from spinexai.prototypes.reader import score_forms
from spinexai.workflow import as_list, run


def main(io):
    cases = pd.read_csv(f"{io.input.kit}/cases.csv", dtype={"case": str})
    write_table(score_forms(as_list(io.input.forms), cases), io.output.table, READER_SCORES)


run(main, globals())
