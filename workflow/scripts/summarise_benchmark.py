"""Rule summarise_benchmark: the scores of all folds, the summary with paired tests, the figures."""

import pandas as pd

from spinexai.benchmark.figures import distributions
from spinexai.benchmark.gallery import gallery_figure
from spinexai.benchmark.summary import summarise
from spinexai.io.atomic import write_figure
from spinexai.io.tables import BENCHMARK_EXPLANATIONS, BENCHMARK_FOLD, BENCHMARK_SUMMARY, PATCHES, read_table, write_table
from spinexai.workflow import as_list, run


def main(io):
    scores = pd.concat([read_table(p, BENCHMARK_FOLD) for p in as_list(io.input.scores)], ignore_index=True)
    write_table(scores, io.output.explanations, BENCHMARK_EXPLANATIONS)
    summary = summarise(scores)
    write_table(summary if len(summary) else pd.DataFrame(columns=BENCHMARK_SUMMARY.names), io.output.summary,
                BENCHMARK_SUMMARY)
    write_figure(distributions(scores), io.output.distributions)
    figure = gallery_figure(read_table(io.input.patches, PATCHES), as_list(io.input.maps_2d), as_list(io.input.maps_3d),
                            dict(io.params.benchmark), dict(io.params.classifier))
    write_figure(figure, io.output.gallery)


run(main, globals())
