"""What a study section is made of: the run's tables read by schema, a claim against one figure of ours, and
the helpers every section formats its numbers with."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from spinexai.errors import InputError
from spinexai.io import tables as T

CONFIRMED, MISSED, NOT_RUN, NOT_MEASURED, NO_GOAL = "confirmed", "missed", "not run", "not measured", "no goal"


class Tables:
    """Reads the run's tables by schema, remembering which were missing (``None`` instead of a crash)."""

    def __init__(self, results: Path):
        self.results = Path(results)
        self.missing: dict[str, str] = {}
        self.lacking: dict[str, list[str]] = {}  # tables that exist but lack schema columns

    def path(self, schema: T.TableSchema, **keys: object) -> Path:
        rel = schema.path.removeprefix("results/")
        for key, value in keys.items():
            rel = rel.replace(f"<{key}>", str(value))
        return self.results / rel

    def read(self, schema: T.TableSchema, **keys: object) -> pd.DataFrame | None:
        path = self.path(schema, **keys)
        try:
            return T.read_table(path, schema)
        except InputError as err:
            if path.exists():
                columns = set(pd.read_parquet(path).columns)
                self.lacking[str(path.relative_to(self.results))] = [c for c in schema.names if c not in columns]
            self.missing[str(path.relative_to(self.results))] = str(err).removeprefix(f"{path}: ")
            return None

    def folds(self, schema: T.TableSchema, folds: Iterable[int], **keys: object) -> pd.DataFrame | None:
        """Every fold's table stacked with its ``fold`` column; ``None`` when no fold has one."""
        parts = []
        for k in folds:
            df = self.read(schema, k=k, **keys)
            if df is not None:
                parts.append(df.assign(fold=k))
        return pd.concat(parts, ignore_index=True) if parts else None

    def rel(self, schema: T.TableSchema, **keys: object) -> str:
        return "results/" + str(self.path(schema, **keys).relative_to(self.results))


def finite(x: object) -> bool:
    return isinstance(x, int | float | np.integer | np.floating) and math.isfinite(float(x))


def fmt(x: object, digits: int = 3) -> str:
    return f"{float(x):.{digits}f}" if finite(x) else "n/a"


@dataclass
class Claim:
    """One claim of a paper against one figure of ours."""

    claim: str
    paper_figure: str
    goal: str
    verdict: str = NOT_RUN
    mean: float | None = None
    sd: float | None = None
    folds: dict[int, float] = field(default_factory=dict)
    ours: str = ""
    note: str = ""
    digits: int = 3
    detail: dict = field(default_factory=dict)
    folds_label: str = ""  # per-fold text when it says more than the values (e.g. both arms)

    def measure(self, per_fold: dict[int, float], passes: Callable[[float], bool] | None) -> Claim:
        """Set mean, SD (sample, over folds) and per-fold values; the verdict from ``passes(mean)``."""
        self.folds = {int(k): float(v) for k, v in per_fold.items()}
        values = np.array([v for v in self.folds.values() if math.isfinite(v)], dtype=float)
        self.mean = float(values.mean()) if len(values) else float("nan")
        self.sd = float(values.std(ddof=1)) if len(values) > 1 else float("nan")
        if passes is None:
            self.verdict = NO_GOAL
        elif not len(values):
            self.verdict = NOT_MEASURED
            self.note = self.note or "no fold gave a defined value"
        else:
            self.verdict = CONFIRMED if passes(self.mean) else MISSED
        return self

    def decide(self, ok: bool) -> Claim:
        self.verdict = CONFIRMED if ok else MISSED
        return self

    def not_run(self, why: str) -> Claim:
        self.verdict, self.note = NOT_RUN, why
        return self

    def not_measured(self, why: str) -> Claim:
        self.verdict, self.note = NOT_MEASURED, why
        return self

    def ours_text(self) -> str:
        if self.ours:
            return self.ours
        if self.verdict in (NOT_RUN,) or self.mean is None:
            return self.verdict
        if self.verdict == NOT_MEASURED and not finite(self.mean):
            return self.verdict
        return f"{fmt(self.mean, self.digits)} ± {fmt(self.sd, self.digits)}"

    def folds_text(self) -> str:
        return ", ".join(f"f{k} {fmt(v, self.digits)}" for k, v in sorted(self.folds.items())) or "-"

    def as_json(self) -> dict:
        clean = lambda x: float(x) if finite(x) else None  # noqa: E731
        return {"claim": self.claim, "paper_figure": self.paper_figure, "goal": self.goal, "verdict": self.verdict,
                "mean": clean(self.mean), "sd": clean(self.sd), "folds": {str(k): clean(v) for k, v in sorted(self.folds.items())},
                "ours": self.ours_text(), "note": self.note, "detail": jsonable(self.detail)}


@dataclass
class Section:
    key: str
    title: str
    paper: str
    claims: list[Claim] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)


def jsonable(x: object) -> object:
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [jsonable(v) for v in x]
    if isinstance(x, pd.DataFrame):
        return jsonable(x.to_dict(orient="records"))
    if isinstance(x, np.bool_ | bool):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        return float(x) if math.isfinite(float(x)) else None
    return x


def markdown_table(df: pd.DataFrame, digits: int = 3) -> str:
    """A pipe table; floats to ``digits`` decimals, NaN as n/a."""
    def cell(v: object) -> str:
        if isinstance(v, float | np.floating):
            return fmt(v, digits)
        return str(v).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(str(c) for c in df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def per_fold(df: pd.DataFrame, column: str) -> dict[int, float]:
    return {int(k): float(v) for k, v in df.groupby("fold")[column].mean().items()}


def auc_or_nan(y: np.ndarray, score: np.ndarray) -> float:
    y = np.asarray(y).astype(int)
    return float(roc_auc_score(y, score)) if len(np.unique(y)) == 2 else float("nan")


def missing_folds(df: pd.DataFrame | None, folds: Iterable[int]) -> str:
    absent = sorted(set(folds) - (set() if df is None else set(df.fold.unique())))
    return f" Folds without the table: {absent}." if absent else ""
