"""Rule summarise_dissection: every fold's top units and fracture-overlap tests, and the concepts figure."""

import pandas as pd

from spinexai.explain.pipeline import concepts_figure
from spinexai.io.atomic import write_figure
from spinexai.io.tables import (
    DISSECTION_OVERLAP,
    DISSECTION_TOP_UNITS,
    FRACTURE_OVERLAP,
    TOP_UNITS,
    read_table,
    write_table,
)
from spinexai.workflow import as_list, run


def _stack(paths, schema):
    frames = [read_table(p, schema).assign(fold=int(p.split("/fold")[-1].split("/")[0])) for p in as_list(paths)]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["fold", *schema.names])


def main(io):
    tops = _stack(io.input.top_units, TOP_UNITS)
    write_table(tops, io.output.top_units, DISSECTION_TOP_UNITS)
    write_table(_stack(io.input.overlap, FRACTURE_OVERLAP), io.output.overlap, DISSECTION_OVERLAP)
    ranking = io.params.rank_by if tops["ranking"].eq(io.params.rank_by).any() else "positive"
    write_figure(concepts_figure(tops, ranking), io.output.figure)


run(main, globals())
