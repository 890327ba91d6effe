"""The browsable HTML report: ``results/report/index.html`` and one page per selected case.

Pages are static HTML rendered with Jinja2 and link to the PNGs the stages wrote with relative paths,
so the report works from the file system (no server, no internet) as long as ``results/`` stays whole.
A stage whose outputs are missing gets a clear empty state instead of broken links. The sections
are in ``spinexai.report.sections`` (one module per stage), the case page in
``spinexai.report.case_page``, the model in ``spinexai.report.model``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
from functools import cached_property
from pathlib import Path

import pandas as pd

from spinexai import paths
from spinexai.benchmark.fold import BenchmarkParams
from spinexai.counterfactual.params import CounterfactualParams
from spinexai.fracture3d.classifier import ClassifierParams
from spinexai.fracture3d.dissection.units import DissectionParams
from spinexai.io.atomic import write_text_atomic
from spinexai.labels import case_id
from spinexai.prototypes.params import ProtoParams
from spinexai.report import case_page as case_pages
from spinexai.report.model import Fig, ReportInputs, Section, exists, read  # noqa: F401  (ReportInputs: the inputs of Report)
from spinexai.report.render import environment
from spinexai.report.sections.benchmark import benchmark_section
from spinexai.report.sections.cases import cases_section
from spinexai.report.sections.classifier3d import classifier_section
from spinexai.report.sections.config import _version, config_section
from spinexai.report.sections.counterfactual import counterfactual_section
from spinexai.report.sections.dataset import dataset_section
from spinexai.report.sections.dissection import dissection_section
from spinexai.report.sections.morphometry import morphometry_section
from spinexai.report.sections.prototypes import prototypes_section
from spinexai.report.viewer import copy_vendor

log = logging.getLogger(__name__)


def _section(params: type, key: str) -> cached_property:
    """A report attribute: the config's ``key`` section read through its params dataclass, once."""
    return cached_property(lambda self: params.from_dict(self.cfg.get(key)))


class Report:
    """Builds the pages; ``out`` is results/report. Subclasses (the predict report) change where a
    case's files are and how its verdict reads through the hooks below."""

    def __init__(self, inputs: ReportInputs, out: Path) -> None:
        self.inputs, self.out = inputs, Path(out)
        self.env = environment()
        self.cfg = inputs.config
        self.manifest, self.patches = read(inputs.manifest), read(inputs.patches)
        self.predictions, self.heights = read(inputs.predictions), read(inputs.heights)
        self.cases = read(inputs.cases)

    # -- each stage's settings, through its params dataclass (the defaults live there, not here) -----------

    classifier3d = _section(ClassifierParams, "classifier3d")
    dissection = _section(DissectionParams, "dissection")
    prototypes = _section(ProtoParams, "prototypes")
    benchmark = _section(BenchmarkParams, "benchmark")
    counterfactual = _section(CounterfactualParams, "counterfactual")

    def rel(self, path: Path | str, page_dir: Path) -> str:
        return Path(os.path.relpath(Path(path).resolve(), page_dir.resolve())).as_posix()

    def fig(self, path: Path | None, caption: str, page_dir: Path, missing: str = "the stage did not write it",
            width: str | None = None) -> Fig:
        if exists(path):
            return Fig(self.rel(path, page_dir), caption, width=width)
        return Fig(None, caption, missing)

    # -- index sections ---------------------------------------------------------------------------------

    def case_ct(self, case) -> str | None:
        if self.manifest is None:
            return None
        match = self.manifest.loc[self.manifest["subject"] == case.subject, "ct_path"]
        return str(match.iloc[0]) if len(match) else None

    def overlay_dir(self, case) -> Path:
        """Where the case's maps on the CT grid are (rule case_overlays)."""
        return paths.under(self.inputs.results, paths.CASE_DIR, fold=case.fold, subject=case.subject, label=case.label)

    def relevance_dir(self, case) -> Path | None:
        """Where the case's dissection (relevance table, figure, 3D map) is (rule explain_concepts)."""
        if self.inputs.dissection is None:
            return None
        return paths.under(self.inputs.dissection.parent, paths.CASE_RELEVANCE_DIR, fold=case.fold, subject=case.subject,
                           label=case.label)

    def case_verdict(self, case, row: pd.Series) -> str:
        threshold = self.classifier3d.threshold
        truth = f"ground truth G{case.grade}" if case.grade >= 0 else "ungraded"
        if isinstance(row.get("morphology"), str) and row["morphology"]:
            truth += f" {row['morphology']}"
        call = "called fractured" if case.prediction else "called not fractured"
        return (f"{case.subject} {case.level}: the fold {case.fold} model gives p(fracture) = {case.probability:.2f} "
                f"(threshold {threshold:.2f}), {call}: {case.outcome}, {truth}.")

    def case_title(self, case) -> str:
        return f"{case.subject} {case.level} (fold {case.fold})"

    @staticmethod
    def case_page_name(case) -> str:
        return f"fold{case.fold}_{case_id(case.subject, case.label)}.html"

    def case_page(self, case, page_dir: Path) -> str:
        return case_pages.case_page(self, case, page_dir)

    # -- all pages --------------------------------------------------------------------------------------

    title = "run report"

    def case_rows(self) -> pd.DataFrame | None:
        """The vertebrae that get a case page (hook: the predict report pages every scored vertebra)."""
        return self.cases if self.cases is not None and self.patches is not None else None

    def sections(self) -> list[Section]:
        """The index page's sections, in order (hook)."""
        return [
            dataset_section(self), classifier_section(self, self.out), dissection_section(self, self.out),
            cases_section(self),
            prototypes_section(self, self.out),
            counterfactual_section(self, self.out),
            benchmark_section(self, self.out),
            morphometry_section(self, self.out), config_section(self),
        ]

    def write(self) -> list[Path]:
        """Write index.html, the case pages and their figures; returns the pages written."""
        self.out.mkdir(parents=True, exist_ok=True)
        copy_vendor(self.out)
        case_dir = self.out / "cases"
        case_dir.mkdir(exist_ok=True)
        pages = []
        rows = self.case_rows()
        for case in rows.itertuples() if rows is not None else ():
            path = case_dir / self.case_page_name(case)
            write_text_atomic(path, self.case_page(case, case_dir))
            pages.append(path)
        sections = self.sections()
        run = {"generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "version": _version("spinexai"),
               "commit": _commit(), "dataset": self.cfg.get("dataset", {}).get("kind", "?")}
        index = self.out / "index.html"
        write_text_atomic(index, self.env.get_template("index.html.j2").render(
            title=self.title, home=None, sections=sections, run=run))
        return [index, *pages]


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                             check=False, cwd=Path(__file__).parent)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""
