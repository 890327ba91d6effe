"""Rule evaluate_inpainter: the domain test of one fold's inpainter against its 2D classifier."""

import torch

from spinexai.counterfactual.evaluate import evaluate_inpainter_fold
from spinexai.counterfactual.train import CounterfactualFold
from spinexai.io.tables import CF_DOMAIN, CF_QUALITY, CF_ROC, write_table
from spinexai.workflow import run


def main(io):
    torch.set_num_threads(io.threads)
    fold = CounterfactualFold.from_files(io.input.patches, io.input.folds, int(io.wildcards.fold),
                                         io.params.counterfactual, io.params.classifier, io.input.classifier)
    result = evaluate_inpainter_fold(fold, io.input.inpainter)
    write_table(result.domain, io.output.domain, CF_DOMAIN)
    write_table(result.roc, io.output.roc, CF_ROC)
    quality = result.quality if len(result.quality.columns) > 2 else result.quality.reindex(columns=CF_QUALITY.names)
    write_table(quality, io.output.quality, CF_QUALITY)


run(main, globals())
