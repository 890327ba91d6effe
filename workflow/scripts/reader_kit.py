"""Rule reader_kit: case pages, blank forms per rater and the cases list for the reader study."""

import torch

from spinexai.io.tables import PATCHES, PROTO_METRICS, PROTO_PROJECTION, PROTO_TOP, read_table
from spinexai.prototypes.kit import reader_kit_inputs
from spinexai.prototypes.params import ProtoParams
from spinexai.prototypes.reader import build_reader_kit
from spinexai.workflow import as_list, run


def main(io):
    torch.set_num_threads(io.threads)
    params = ProtoParams.from_dict(io.params.prototypes)
    metrics = [read_table(p, PROTO_METRICS) for p in as_list(io.input.metrics)]
    kit = reader_kit_inputs(read_table(io.input.patches, PATCHES), metrics, as_list(io.input.top), as_list(io.input.maps),
                            as_list(io.input.projection), params, PROTO_TOP, PROTO_PROJECTION)
    build_reader_kit(io.output.kit, kit.cases, kit.top, kit.images, kit.heats, kit.projection, kit.projection_images,
                     params.raters, kit.fold, params.main_arm)


run(main, globals())
