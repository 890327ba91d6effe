"""Rule evaluate_attribution: localisation against Grad-CAM and saliency, the sanity check, timing,
per-case maps and the gallery of one fold."""

import pandas as pd
import torch

from spinexai.counterfactual.evaluate import evaluate_attribution_fold
from spinexai.counterfactual.figures import gallery
from spinexai.counterfactual.train import CounterfactualFold
from spinexai.geometry.reformat import ReformatParams
from spinexai.io.atomic import write_npz
from spinexai.io.tables import (
    CF_EFFECTS,
    CF_LOCALISATION,
    CF_SANITY,
    CF_TIMING,
    write_table,
)
from spinexai.workflow import run


def main(io):
    torch.set_num_threads(io.threads)
    fold = CounterfactualFold.from_files(io.input.patches, io.input.folds, int(io.wildcards.fold),
                                         io.params.counterfactual, io.params.classifier, io.input.classifier)
    result = evaluate_attribution_fold(fold, io.input.inpainter, io.input.model,
                                       ReformatParams.from_dict(io.params.reformat))
    for name, schema in (("localisation", CF_LOCALISATION), ("sanity", CF_SANITY), ("timing", CF_TIMING),
                         ("effects", CF_EFFECTS)):
        write_table(getattr(result, name), getattr(io.output, name), schema)
    write_npz(io.output.maps, result.maps)
    effects = (result.effects.merge(fold.rows[["subject", "label", "fracture"]], on=["subject", "label"], how="left")
               if len(result.effects.columns) else pd.DataFrame(columns=["split", "fracture"]))
    gallery(result.maps, effects, fold.cf.threshold, fold.cf.gallery_cases, io.output.gallery)


run(main, globals())
