"""The explanation benchmark's summary table, when it has run."""

from __future__ import annotations

import pandas as pd

from spinexai.io import tables as T
from spinexai.study.claims import (
    NOT_RUN,
    Section,
    Tables,
    markdown_table,
)

BENCHMARK = "benchmark/summary.parquet"


def benchmark_section(t: Tables) -> Section:
    """The explanation benchmark's summary, when it has run."""
    sec = Section("benchmark", "Explanation benchmark", "all four papers' explanations on the synthetic ground truth")
    path = t.results / BENCHMARK
    if not path.exists():
        sec.text.append(f"Not run: there is no `results/{BENCHMARK}` in this run.")
        sec.data["status"] = NOT_RUN
        return sec
    schema = next((s for s in T.SCHEMAS.values() if s.path == f"results/{BENCHMARK}"), None)
    df = T.read_table(path, schema) if schema is not None else pd.read_parquet(path)
    sec.text.append(f"Means over the held-out test vertebrae of every fold (`results/{BENCHMARK}`, which also has the SDs, "
                    "the paired Wilcoxon tests against the centre prior and against Grad-CAM, and the verdicts). "
                    "*beats the prior on*: the metrics where the method is better than the centre Gaussian with "
                    "p < 0.05 (lower is better for Hausdorff). Pointing uses a 2 mm tolerance; AUC is the map as a "
                    "pixel detector of the true fracture region.")
    for group, part in df.groupby("group", sort=True):
        wide = part.pivot_table(index=["grid", "method"], columns="metric", values="mean", aggfunc="first")
        wide = wide.reindex(columns=[m for m in ("pointing", "energy", "topk_iou", "hausdorff_mm", "auc") if m in wide])
        beats = part[part["beats_prior"].astype(bool)].groupby(["grid", "method"])["metric"].apply(", ".join)
        n = part.groupby(["grid", "method"])["n"].max()
        table = wide.assign(n=n, beats_prior_on=beats.reindex(wide.index).fillna("-")).reset_index()
        order = {"centre_prior": 1, "random": 2}
        table = table.sort_values(["grid", "method"], key=lambda c: c.map(order).fillna(0) if c.name == "method" else c)
        sec.text.append(f"**{group}** test vertebrae:\n\n" + markdown_table(table))
    sec.data["summary"] = df
    return sec
