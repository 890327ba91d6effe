"""Rule summarise_dissection: every fold's top units and fracture-overlap tests, and the concepts figure."""

import pandas as pd

from spinexai.fracture3d.dissection.stage import concepts_figure
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


def _stack(paths, folds, schema):
    paths = as_list(paths)
    if len(paths) != len(folds):
        raise ValueError(f"{len(paths)} tables for folds {folds}")
    frames = [read_table(p, schema).assign(fold=int(k)) for p, k in zip(paths, folds, strict=True)]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["fold", *schema.names])


def main(io):
    folds = list(io.params.folds)
    tops = _stack(io.input.top_units, folds, TOP_UNITS)
    write_table(tops, io.output.top_units, DISSECTION_TOP_UNITS)
    write_table(_stack(io.input.overlap, folds, FRACTURE_OVERLAP), io.output.overlap, DISSECTION_OVERLAP)
    ranking = io.params.rank_by if tops["ranking"].eq(io.params.rank_by).any() else "positive"
    write_figure(concepts_figure(tops, ranking), io.output.figure)


run(main, globals())
