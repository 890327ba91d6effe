"""Rule benchmark_fold: every method's maps and scores for one fold's models on the held-out test set."""

import torch

from spinexai.benchmark.fold import BenchmarkParams, FoldModels, benchmark_fold, save_maps
from spinexai.geometry.reformat import ReformatParams
from spinexai.io.tables import BENCHMARK_FOLD, FOLDS, PATCHES, read_table, write_table
from spinexai.workflow import run


def main(io):
    torch.set_num_threads(io.threads)
    arms = {name: (params, getattr(io.input, name)) for name, params in dict(io.params.arms).items()}
    attribution = getattr(io.input, "attribution", None)
    models = FoldModels(dict(io.params.classifier), io.input.classifier, dict(io.params.dissection), io.input.thresholds,
                        arms, (dict(io.params.counterfactual), attribution) if attribution else None)
    fold = int(io.wildcards.fold)
    scores, grids = benchmark_fold(read_table(io.input.patches, PATCHES), read_table(io.input.folds, FOLDS), fold, models,
                                   BenchmarkParams.from_dict(io.params.benchmark), ReformatParams.from_dict(io.params.reformat))
    write_table(scores, io.output.scores, BENCHMARK_FOLD)
    by_name = {g.grid.name: g for g in grids}
    save_maps(by_name.get("2d"), fold, io.output.maps_2d)
    save_maps(by_name.get("3d"), fold, io.output.maps_3d)


run(main, globals())
