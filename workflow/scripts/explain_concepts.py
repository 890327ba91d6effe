"""Rule explain_concepts: the single-inference view of one case (its most relevant units)."""

import torch

from spinexai.fracture3d.classifier import ClassifierParams
from spinexai.fracture3d.dissection.stage import explain_case
from spinexai.fracture3d.dissection.units import DissectionParams
from spinexai.io.atomic import write_figure
from spinexai.io.nifti import write_image
from spinexai.io.tables import (
    CASE_RELEVANCE,
    DISSECTION_RESPONSES,
    DISSECTION_THRESHOLDS,
    MANIFEST,
    PATCHES,
    UNIT_RANKING,
    read_table,
    write_table,
)
from spinexai.workflow import run


def _source_ct(io) -> str:
    manifest = read_table(io.input.manifest, MANIFEST)
    return str(manifest.loc[manifest["subject"] == io.wildcards.subject, "ct_path"].iloc[0])


def main(io):
    torch.set_num_threads(io.threads)
    cls = ClassifierParams.from_dict(io.params.classifier)
    params = DissectionParams.from_dict(io.params.dissection)
    table, figure, overlays = explain_case(read_table(io.input.patches, PATCHES), io.wildcards.subject, int(io.wildcards.label),
                                 cls, params, io.input.model, read_table(io.input.thresholds, DISSECTION_THRESHOLDS),
                                 read_table(io.input.ranking, UNIT_RANKING),
                                 read_table(io.input.responses, DISSECTION_RESPONSES), _source_ct(io))
    write_table(table, io.output.relevance, CASE_RELEVANCE)
    write_figure(figure, io.output.figure)
    write_image(io.output.overlay, *overlays["dissection"])
    write_image(io.output.gradcam, *overlays["gradcam3d"])


run(main, globals())
