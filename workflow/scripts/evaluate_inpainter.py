"""Rule evaluate_inpainter: the domain test of one fold's inpainter against its 2D classifier."""

import torch

from spinexai.counterfactual.fold_evaluation import evaluate_inpainter_fold
from spinexai.counterfactual.params import CounterfactualParams
from spinexai.counterfactual.train import CounterfactualFold
from spinexai.io.tables import CF_DOMAIN, CF_QUALITY, CF_ROC, FOLDS, PATCHES, read_table, write_table
from spinexai.prototypes.data import graded_rows
from spinexai.prototypes.params import ProtoParams
from spinexai.workflow import run


def main(io):
    torch.set_num_threads(io.threads)
    cf, proto = CounterfactualParams.from_dict(io.params.counterfactual), ProtoParams.from_dict(io.params.classifier)
    rows = graded_rows(read_table(io.input.patches, PATCHES), proto.grades)
    fold = CounterfactualFold(rows, read_table(io.input.folds, FOLDS), int(io.wildcards.fold), cf, proto,
                              io.input.classifier)
    result = evaluate_inpainter_fold(fold, io.input.inpainter)
    write_table(result.domain, io.output.domain, CF_DOMAIN)
    write_table(result.roc, io.output.roc, CF_ROC)
    quality = result.quality if len(result.quality.columns) > 2 else result.quality.reindex(columns=CF_QUALITY.names)
    write_table(quality, io.output.quality, CF_QUALITY)


run(main, globals())
