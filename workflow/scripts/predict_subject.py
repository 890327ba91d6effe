"""Rule predict_subject: one subject's explanations under the explained fold's models, on the source CT grid."""

import torch

from spinexai.fracture3d.dissection.units import DissectionParams
from spinexai.io.tables import MANIFEST, PATCHES, read_table
from spinexai.predict.cases import explain_subject
from spinexai.predict.trained import TrainedRun
from spinexai.workflow import run


def main(io):
    torch.set_num_threads(io.threads)
    subject = io.wildcards.subject
    settings = io.params.predict
    trained = TrainedRun(io.params.models, io.params.arm, settings.get("keypoint_arm", ""))
    models = trained.fold(int(settings["explain_fold"]))
    manifest = read_table(io.input.manifest, MANIFEST)
    ct_path = str(manifest.loc[manifest["subject"] == subject, "ct_path"].iloc[0])
    maps = {"similarity": io.input.similarity, "top3": io.input.top3, "counterfactual": io.input.counterfactual}
    explain_subject(read_table(io.input.patches, PATCHES), ct_path, subject, models, trained,
                    DissectionParams.from_dict(io.params.dissection), maps, io.output[0])


run(main, globals())
