"""``docs/study.md`` from a finished run's Parquet tables: each paper's claim, its figure, our goal, ours, a verdict.

Every number is read from the run's tables (through :mod:`spinexai.io.tables` where a schema exists) and is
the mean over the fold models on the held-out test split, with its SD and the per-fold values. A claim
whose table is missing says "not run"; one whose table lacks the column it needs says "not measured" and
names the column. The same numbers go to a JSON file beside the Markdown, for scripts.

    python -m spinexai.study --results results --config config/study.yaml --out docs/study.md \\
        [--command "snakemake ..."] [--wall-time "61 min"]
"""

from spinexai.study.document import build, load_config, main, write_study

__all__ = ["build", "load_config", "main", "write_study"]
