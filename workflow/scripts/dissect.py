"""Rule dissect: network dissection of one fold model (thresholds, rankings, concepts, exports)."""

import torch

from spinexai.fracture3d.classifier import ClassifierParams
from spinexai.fracture3d.dissection.stage import export_units, run_dissection
from spinexai.fracture3d.dissection.units import DissectionParams
from spinexai.io.tables import (
    DISSECTION_RESPONSES,
    DISSECTION_THRESHOLDS,
    FOLDS,
    FRACTURE_OVERLAP,
    PATCHES,
    TOP_UNITS,
    UNIT_CONCEPTS,
    UNIT_RANKING,
    read_table,
    write_table,
)
from spinexai.workflow import run


def main(io):
    torch.set_num_threads(io.threads)
    cls = ClassifierParams.from_dict(io.params.classifier)
    params = DissectionParams.from_dict(io.params.dissection)
    patches, folds = read_table(io.input.patches, PATCHES), read_table(io.input.folds, FOLDS)
    result = run_dissection(patches, folds, int(io.wildcards.fold), cls, params, io.input.model)
    export_units(result, cls, params, io.output.units)
    write_table(result.thresholds, io.output.thresholds, DISSECTION_THRESHOLDS)
    write_table(result.responses, io.output.responses, DISSECTION_RESPONSES)
    write_table(result.ranking, io.output.ranking, UNIT_RANKING)
    write_table(result.top_units, io.output.top_units, TOP_UNITS)
    write_table(result.concepts, io.output.concepts, UNIT_CONCEPTS)
    write_table(result.overlap, io.output.overlap, FRACTURE_OVERLAP)


run(main, globals())
