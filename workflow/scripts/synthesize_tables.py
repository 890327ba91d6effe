"""Rule synthesize_tables: the cohort's VerSe-style grade sheet and long morphology table."""

from pathlib import Path

from spinexai.synthetic import write_cohort_tables
from spinexai.workflow import run


def main(io):
    write_cohort_tables(Path(io.output.grading).parent, list(io.params.subjects))


run(main, globals())
