"""The report's small model: sections made of blocks (text, a table, figures, a widget), links and
figures, and where the stages' outputs are (``ReportInputs``)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from markupsafe import Markup


@dataclass
class Link:
    href: str
    text: str

    def __html__(self) -> str:
        return f'<a href="{html.escape(self.href)}">{html.escape(self.text)}</a>'


@dataclass
class Fig:
    src: str | None
    caption: str
    missing: str = ""
    width: str | None = None


@dataclass
class Block:
    heading: str | None = None
    text: str | None = None
    table: pd.DataFrame | None = None
    figures: list[Fig] = field(default_factory=list)
    details: dict | None = None
    pre: str | None = None
    html: Markup | None = None  # a widget (the case viewer); everything else is escaped


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    empty: dict | None = None


@dataclass
class ReportInputs:
    """Where the stages' outputs are (any may be missing: its section says so)."""

    results: Path
    config: dict
    config_sources: str = ""  # which config files (and --config overrides) were applied, in order
    manifest: Path | None = None
    exclusions: Path | None = None
    patches: Path | None = None
    folds: Path | None = None
    table1: Path | None = None
    metrics_by_fold: Path | None = None
    predictions: Path | None = None
    curves: Path | None = None
    heights: Path | None = None
    keypoints: Path | None = None  # results/morphometry/keypoints/table.parquet
    cases: Path | None = None
    dissection: Path | None = None  # results/dissection
    prototypes: Path | None = None  # results/prototypes
    counterfactual: Path | None = None  # results/counterfactual
    benchmark: Path | None = None  # results/benchmark


def read(path: Path | None) -> pd.DataFrame | None:
    return pd.read_parquet(path) if path is not None and Path(path).exists() else None


def exists(path: Path | None) -> bool:
    return path is not None and Path(path).exists()
