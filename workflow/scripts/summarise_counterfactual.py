"""Rule summarise_counterfactual: the domain test, Table 1, Wilcoxon tests, sanity check and timing
over the explained folds, and the domain-test ROC figure."""

import pandas as pd

from spinexai.counterfactual.figures import roc_figure
from spinexai.counterfactual.summary import (
    domain_summary,
    effect_summary,
    localisation_summary,
    sanity_summary,
    wilcoxon_tests,
)
from spinexai.io.tables import (
    CF_DOMAIN,
    CF_DOMAIN_SUMMARY,
    CF_EFFECT_SUMMARY,
    CF_EFFECTS,
    CF_LOCALISATION,
    CF_LOCALISATION_SUMMARY,
    CF_ROC,
    CF_SANITY,
    CF_SANITY_SUMMARY,
    CF_TIMING,
    CF_WILCOXON,
    read_table,
    write_table,
)
from spinexai.workflow import run


def _all(paths, schema) -> pd.DataFrame:
    return pd.concat([read_table(p, schema) for p in paths], ignore_index=True)


def main(io):
    domain = _all(io.input.domain, CF_DOMAIN)
    localisation = _all(io.input.localisation, CF_LOCALISATION)
    write_table(domain_summary(domain), io.output.domain, CF_DOMAIN_SUMMARY)
    write_table(localisation_summary(localisation), io.output.table1, CF_LOCALISATION_SUMMARY)
    write_table(wilcoxon_tests(localisation), io.output.wilcoxon, CF_WILCOXON)
    write_table(sanity_summary(_all(io.input.sanity, CF_SANITY)), io.output.sanity, CF_SANITY_SUMMARY)
    write_table(effect_summary(_all(io.input.effects, CF_EFFECTS)), io.output.effects, CF_EFFECT_SUMMARY)
    write_table(_all(io.input.timing, CF_TIMING), io.output.timing, CF_TIMING)
    roc_figure(_all(io.input.roc, CF_ROC), domain, io.output.roc_figure)


run(main, globals())
