"""Rule summarise_prototypes: the paper-shaped tables, Wilcoxon tests, contribution and cosine summaries,
localisation hit rates, and the cosine (Figure 3) and class-weighting (Figure 7) figures."""

import pandas as pd

from spinexai.io.tables import (
    PROTO_CONTRIBUTION_MATRIX,
    PROTO_CONTRIBUTIONS,
    PROTO_COSINE,
    PROTO_COSINE_SUMMARY,
    PROTO_LOCALISATION,
    PROTO_LOCALISATION_SUMMARY,
    PROTO_METRICS,
    PROTO_PREDICTIONS,
    PROTO_TABLES,
    PROTO_WILCOXON,
    read_table,
    write_table,
)
from spinexai.prototypes.figures import cosine_figure, weighting_figure
from spinexai.prototypes.params import ProtoParams
from spinexai.prototypes.summary import (
    comparison_tables,
    contribution_matrix,
    cosine_summary,
    localisation_summary,
    wilcoxon_tests,
)
from spinexai.workflow import as_list, run


def _stack(paths, schema) -> pd.DataFrame:
    return pd.concat([read_table(p, schema) for p in as_list(paths)], ignore_index=True)


def main(io):
    params = ProtoParams.from_dict(io.params.prototypes)
    metrics = _stack(io.input.metrics, PROTO_METRICS)
    compare = [a for a in params.compare if a in set(metrics["arm"])]
    tables = comparison_tables(metrics, params.main_arm, compare)
    write_table(metrics, io.output.metrics, PROTO_METRICS)
    write_table(_stack(io.input.predictions, PROTO_PREDICTIONS), io.output.predictions, PROTO_PREDICTIONS)
    write_table(tables, io.output.tables, PROTO_TABLES)
    write_table(wilcoxon_tests(metrics, params.main_arm), io.output.wilcoxon, PROTO_WILCOXON)
    write_table(contribution_matrix(_stack(io.input.contributions, PROTO_CONTRIBUTIONS).query("split == 'test'")),
                io.output.contribution_matrix, PROTO_CONTRIBUTION_MATRIX)
    cosine = _stack(io.input.cosine, PROTO_COSINE)
    write_table(cosine_summary(cosine), io.output.cosine_summary, PROTO_COSINE_SUMMARY)
    write_table(localisation_summary(_stack(io.input.localisation, PROTO_LOCALISATION)), io.output.localisation,
                PROTO_LOCALISATION_SUMMARY)
    shown = [a for a in (params.main_arm, "protopnet") if a in set(cosine["arm"])]
    cosine_figure(cosine[cosine["fold"] == cosine["fold"].min()] if len(cosine) else cosine, shown, io.output.cosine_figure)
    weighting_figure(tables, io.output.weighting_figure)


run(main, globals())
