"""``docs/study.md`` from a finished run's Parquet tables: each paper's claim, its figure, our goal, ours, a verdict.

Every number is read from the run's tables (through :mod:`spinexai.io.tables` where a schema exists) and is
the mean over the fold models on the held-out test split, with its SD and the per-fold values. A claim
whose table is missing says "not run"; one whose table lacks the column it needs says "not measured" and
names the column. The same numbers go to a JSON file beside the Markdown, for scripts.

    python -m spinexai.study --results results --config config/study.yaml --out docs/study.md \\
        [--command "snakemake ..."] [--wall-time "61 min"]
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.metrics import roc_auc_score

from spinexai.config import validate_config
from spinexai.errors import InputError
from spinexai.io import tables as T
from spinexai.io.atomic import write_text_atomic

REPO = Path(__file__).resolve().parents[2]
CONFIRMED, MISSED, NOT_RUN, NOT_MEASURED, NO_GOAL = "confirmed", "missed", "not run", "not measured", "no goal"
BENCHMARK = "benchmark/summary.parquet"
PERCENTILE_METHODS = tuple(f"{m}_p{q}" for m in ("gradcam", "saliency") for q in (50, 75, 90))


# --- config ----------------------------------------------------------------------------------------------------------


def _merge(base: dict, update: dict) -> dict:
    """Recursive dict update, as Snakemake merges ``--configfile`` onto the Snakefile's ``configfile``."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def load_config(paths: Iterable[str | Path], base: bool = True) -> dict:
    """The run's effective config: the Snakefile's default ``config.yaml`` beside the first file (when ``base``),
    then each file in order, with the schema's defaults filled in."""
    paths = [Path(p) for p in paths]
    first = paths[0]
    default = first.parent / "config.yaml"
    if base and default.exists() and all(p.resolve() != default.resolve() for p in paths):
        paths.insert(0, default)
    cfg: dict = {}
    for path in paths:
        _merge(cfg, yaml.safe_load(path.read_text()) or {})
    schema = first.parent / "schema.yaml"
    return validate_config(cfg, schema if schema.exists() else REPO / "config" / "schema.yaml")


# --- reading ---------------------------------------------------------------------------------------------------------


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


# --- claims ----------------------------------------------------------------------------------------------------------


def _finite(x: object) -> bool:
    return isinstance(x, int | float | np.integer | np.floating) and math.isfinite(float(x))


def _fmt(x: object, digits: int = 3) -> str:
    return f"{float(x):.{digits}f}" if _finite(x) else "n/a"


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
        if self.verdict == NOT_MEASURED and not _finite(self.mean):
            return self.verdict
        return f"{_fmt(self.mean, self.digits)} ± {_fmt(self.sd, self.digits)}"

    def folds_text(self) -> str:
        return ", ".join(f"f{k} {_fmt(v, self.digits)}" for k, v in sorted(self.folds.items())) or "-"

    def as_json(self) -> dict:
        clean = lambda x: float(x) if _finite(x) else None  # noqa: E731
        return {"claim": self.claim, "paper_figure": self.paper_figure, "goal": self.goal, "verdict": self.verdict,
                "mean": clean(self.mean), "sd": clean(self.sd), "folds": {str(k): clean(v) for k, v in sorted(self.folds.items())},
                "ours": self.ours_text(), "note": self.note, "detail": _jsonable(self.detail)}


@dataclass
class Section:
    key: str
    title: str
    paper: str
    claims: list[Claim] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)


def _jsonable(x: object) -> object:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, pd.DataFrame):
        return _jsonable(x.to_dict(orient="records"))
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
            return _fmt(v, digits)
        return str(v).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(str(c) for c in df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def _per_fold(df: pd.DataFrame, column: str) -> dict[int, float]:
    return {int(k): float(v) for k, v in df.groupby("fold")[column].mean().items()}


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    y = np.asarray(y).astype(int)
    return float(roc_auc_score(y, score)) if len(np.unique(y)) == 2 else float("nan")


def _missing_folds(df: pd.DataFrame | None, folds: Iterable[int]) -> str:
    absent = sorted(set(folds) - (set() if df is None else set(df.fold.unique())))
    return f" Folds without the table: {absent}." if absent else ""


# --- sections --------------------------------------------------------------------------------------------------------


def classifier_section(t: Tables, cfg: dict) -> Section:
    """Engstler et al. 2022: test AUC and F1 of the 3D classifier, against the Genant rule on the mask heights."""
    folds = range(cfg["folds"]["n_folds"])
    g = cfg["data"]["fracture_min_grade"]
    sec = Section("classifier3d", "3D fracture classifier", "Engstler et al. 2022")
    auc = Claim(f"Test AUC, fracture = grade >= {g}", "AUC 84.5 ± 9.1 % (Table 1, VerSe only; 96.2 ± 0.9 % with in-house data)",
                ">= 0.97")
    f1 = Claim("Test F1 at the decision threshold", "F1 71.2 ± 10.8 % (Table 1, VerSe only)", "none set")
    ref = Claim("Test AUC above the Genant rule on the masks' heights (reference row), same test vertebrae",
                "not in the paper", "above the reference")
    sec.claims = [auc, f1, ref]
    metrics = t.folds(T.CLASSIFIER_METRICS, folds)
    if metrics is None:
        for c in sec.claims:
            c.not_run(f"no {t.rel(T.CLASSIFIER_METRICS, k='<k>')}")
        return sec
    test = metrics[metrics.split == "test"]
    auc.measure(_per_fold(test, "auc"), lambda m: m >= 0.97).note = _missing_folds(metrics, folds).strip()
    f1.measure(_per_fold(test, "f1"), None)

    predictions = t.folds(T.CLASSIFIER_PREDICTIONS, folds)
    heights = t.read(T.MORPHOMETRY)
    if predictions is None or heights is None:
        ref.not_run("no " + " or ".join(p for p, s in ((t.rel(T.CLASSIFIER_PREDICTIONS, k="<k>"), predictions),
                                                         (t.rel(T.MORPHOMETRY), heights)) if s is None))
        return sec
    pred = predictions[(predictions.split == "test") & (predictions.grade >= 0)]
    vertebrae = pred[["subject", "label", "grade"]].drop_duplicates(["subject", "label"])
    measured = heights[heights.status == "measured"][["subject", "label", "genant_loss", "apr", "mpr", "mar"]]
    rule = vertebrae.merge(measured, on=["subject", "label"], how="inner")
    rule = rule[np.isfinite(rule.genant_loss)]
    y = (rule.grade >= g).to_numpy()
    scores = {"genant_loss (largest relative height loss)": rule.genant_loss.to_numpy(),
              "1 - min(APR, MPR, MAR)": 1 - rule[["apr", "mpr", "mar"]].min(axis=1).to_numpy()}
    reference = pd.DataFrame([{"score": name, "auc": _auc(y, s), "vertebrae": len(rule), "fractured": int(y.sum())}
                              for name, s in scores.items()])
    bar = float(reference.auc.max())
    same = pred.merge(rule[["subject", "label"]], on=["subject", "label"])
    per_fold = {int(k): _auc(d.grade.to_numpy() >= g, d.probability.to_numpy()) for k, d in same.groupby("fold")}
    ref.measure(per_fold, lambda m: m > bar)
    left_out = len(vertebrae) - len(rule)
    ref.note = (f"Bar: the better of the rule's two scores, AUC {_fmt(bar)} on {len(rule)} test vertebrae ({int(y.sum())} "
                f"with grade >= {g}); ours is the classifier's AUC on the same vertebrae, above the bar in "
                f"{sum(v > bar for v in per_fold.values())} of {len(per_fold)} folds."
                + (f" {left_out} test vertebrae without measured heights are left out of this row." if left_out else ""))
    if not _finite(bar):
        ref.verdict = NOT_MEASURED
        ref.note += " The reference AUC is undefined (one class among the measured test vertebrae)."
    ref.detail = {"reference": reference, "bar": bar, "folds_above": int(sum(v > bar for v in per_fold.values()))}
    sec.text.append("Reference row: the Genant rule on each test vertebra's mask heights against its expected heights "
                    "(its own largest, or the nearest unfractured neighbours' scaled by level) "
                    f"(`{t.rel(T.MORPHOMETRY)}`), fracture = grade >= {g}.\n\n" + markdown_table(reference))
    sec.data["genant_reference"] = reference
    return sec


def _arms(cfg: dict) -> tuple[str, str | None, dict]:
    """(main arm, the ProtoPNet arm or None, every arm's settings)."""
    proto = cfg["prototypes"]
    arms = proto["arms"]
    settings = {name: {"model": o.get("model", "protoverse"), "diversity": o.get("diversity", proto.get("diversity"))}
                for name, o in arms.items()}
    main = proto.get("main_arm", "protoverse")
    if "protopnet" in arms:
        return main, "protopnet", settings
    zero = [n for n, s in settings.items() if s["model"] == "protoverse" and s["diversity"] == 0 and n != main]
    return main, (zero[0] if zero else None), settings


def _intra_cosine(cos: pd.DataFrame) -> dict[int, float]:
    same = cos[(cos.grade_a == cos.grade_b) & (cos.prototype_a != cos.prototype_b)]
    return _per_fold(same, "cosine")


def prototypes_section(t: Tables, cfg: dict) -> Section:
    """Sinhamahapatra et al. 2024: class-average F1, prototype diversity, source boxes and heatmap peaks."""
    folds = range(cfg["folds"]["n_folds"])
    main, pnet, settings = _arms(cfg)
    size = int(cfg["prototypes"]["input_size"])
    sec = Section("prototypes", "ProtoVerse: Genant grading with prototypes", "Sinhamahapatra et al. 2024")
    f1 = Claim(f"Test class-average F1 (G0/G2/G3) of '{main}'", "67.97 % test (Table 1); 75.97 ± 4.80 % in 5-fold CV (Table 2)",
               ">= 0.75")
    cos = Claim(f"Mean intra-class prototype cosine of '{main}' below ProtoPNet's ('{pnet}') in every fold",
                "Figure 3: ProtoPNet's same-grade prototypes near-identical, ProtoVerse's diverse (no numbers printed)",
                "below in every fold", digits=4)
    border = Claim(f"No prototype's projection source box touches the image border ({size} px input)",
                   "Figure 4: prototypes on parts of the vertebra (qualitative)", "0 boxes")
    body = Claim("Top-1 prototype's heatmap peak inside the vertebral body, G2/G3 test vertebrae",
                 "Figures 5-6: heatmaps on the vertebral body (qualitative)", ">= 0.80")
    sec.claims = [f1, cos, border, body]

    arm_rows, by_arm = [], {}
    for arm in settings:
        m = t.folds(T.PROTO_METRICS, folds, arm=arm)
        if m is None:
            continue
        test = m[m.split == "test"]
        by_arm[arm] = _per_fold(test, "class_f1")
        vals = np.array(list(by_arm[arm].values()))
        diversity = settings[arm]["diversity"] if settings[arm]["model"] == "protoverse" else "-"
        arm_rows.append({"arm": arm, "model": settings[arm]["model"], "diversity": diversity,
                         "class_f1 mean": float(np.nanmean(vals)) if len(vals) else float("nan"),
                         "class_f1 SD": float(np.nanstd(vals, ddof=1)) if len(vals) > 1 else float("nan"),
                         "class_accuracy mean": float(test.class_accuracy.mean()),
                         "sample_accuracy mean": float(test.sample_accuracy.mean()),
                         "per fold class_f1": ", ".join(f"f{k} {_fmt(v)}" for k, v in sorted(by_arm[arm].items()))})
    if main in by_arm:
        f1.measure(by_arm[main], lambda m: m >= 0.75)
    else:
        f1.not_run(f"no {t.rel(T.PROTO_METRICS, arm=main, k='<k>')}")
    if arm_rows:
        table = pd.DataFrame(arm_rows)
        sec.text.append("Every arm on the held-out test split (mean over folds):\n\n" + markdown_table(table))
        sec.data["arms"] = table

    # Figure 3: intra-class cosine, from the summary or else the per-fold cosine tables.
    if pnet is None:
        cos.not_run("no ProtoPNet arm (model protoverse, diversity 0) in prototypes.arms")
    else:
        summary = t.read(T.PROTO_COSINE_SUMMARY)
        if summary is not None and {main, pnet} <= set(summary.arm):
            ours, theirs = (_per_fold(summary[summary.arm == a], "intra_class_cosine") for a in (main, pnet))
            source = t.rel(T.PROTO_COSINE_SUMMARY)
        else:
            tabs = {a: t.folds(T.PROTO_COSINE, folds, arm=a) for a in (main, pnet)}
            ours, theirs = ({} if tabs[a] is None else _intra_cosine(tabs[a]) for a in (main, pnet))
            source = t.rel(T.PROTO_COSINE, arm="<arm>", k="<k>")
        paired = sorted(set(ours) & set(theirs))
        if not paired:
            cos.not_run(f"no cosine table for both '{main}' and '{pnet}'")
        else:
            cos.measure({k: ours[k] for k in paired}, None)
            below = [ours[k] < theirs[k] for k in paired]
            cos.decide(all(below))
            if cos.verdict == CONFIRMED and len(paired) < len(folds):
                cos.verdict = NOT_MEASURED  # "every fold" needs every fold
            cos.ours = (f"{_fmt(cos.mean, 4)} ± {_fmt(cos.sd, 4)} vs ProtoPNet {_fmt(np.mean([theirs[k] for k in paired]), 4)}; "
                        f"below in {sum(below)}/{len(paired)} folds")
            cos.note = f"Per fold: ProtoVerse (ProtoPNet in brackets). Source: `{source}`." + (
                "" if len(paired) == len(folds) else f" Only folds {paired} have both arms.")
            cos.detail = {"protopnet": {k: theirs[k] for k in paired}}
            cos.folds_label = ", ".join(f"f{k} {_fmt(ours[k], 4)} ({_fmt(theirs[k], 4)})" for k in paired)

    # Source boxes against the border of the input image.
    projection = t.folds(T.PROTO_PROJECTION, folds, arm=main)
    if projection is None:
        border.not_run(f"no {t.rel(T.PROTO_PROJECTION, arm=main, k='<k>')}")
    else:
        touches = ((projection.box_row0 <= 0) | (projection.box_col0 <= 0) | (projection.box_row1 >= size)
                   | (projection.box_col1 >= size))
        per_fold = {int(k): int(v) for k, v in touches.groupby(projection.fold).sum().items()}
        border.measure({k: float(v) for k, v in per_fold.items()}, None)
        border.decide(int(touches.sum()) == 0)
        if border.verdict == CONFIRMED and set(projection.fold) != set(folds):
            border.verdict = NOT_MEASURED  # "no prototype" needs every fold's prototypes
        border.digits = 0
        border.ours = f"{int(touches.sum())} of {len(projection)} boxes touch the border"
        border.note = "Per fold: boxes touching the border." + _missing_folds(projection, folds)
        border.detail = {"touching": int(touches.sum()), "boxes": len(projection)}

    # Top-1 peak in the vertebral body: needs a body column, which the tables may not have.
    top = t.folds(T.PROTO_TOP, folds, arm=main)
    loc = t.folds(T.PROTO_LOCALISATION, folds, arm=main)
    predictions = t.folds(T.PROTO_PREDICTIONS, folds, arm=main)
    body_cols = [c for c in ("peak_in_body",) if top is not None and c in top.columns]
    hit_note = ""
    if loc is not None:
        first = loc[(loc.split == "test") & (loc.method == "prototype1")]
        if len(first):
            rate = _per_fold(first.assign(hit=first.hit.astype(float)), "hit")
            where = t.rel(T.PROTO_LOCALISATION, arm=main, k="<k>")
            hit_note = (f" Measured instead: the top-1 peak touches the true fracture region in "
                        f"{_fmt(np.mean(list(rate.values())))} of G2/G3 test vertebrae (mean over folds; per fold "
                        + ", ".join(f"f{k} {_fmt(v)}" for k, v in sorted(rate.items()))
                        + f"; `{where}`, method prototype1, column hit).")
            body.detail = {"fracture_hit_rate": rate}
    if top is None or predictions is None:
        body.not_run(f"no {t.rel(T.PROTO_TOP, arm=main, k='<k>')} or its predictions")
    elif not body_cols:
        body.not_measured("top3.parquet and localisation.parquet have no column saying whether a peak lies in the "
                          "vertebral body; needed: `peak_in_body` in prototype_top3 (1 if the heatmap peak pixel lies in "
                          "the vertebral-body mask reformation at the input size, 0 if not)." + hit_note)
    else:
        grades = predictions[["subject", "label", "fold", "split", "grade"]].drop_duplicates()
        first = top[(top["rank"] == 1) & (top.split == "test")].merge(grades, on=["subject", "label", "fold", "split"])
        first = first[first.grade >= 2].dropna(subset=[body_cols[0]])
        body.measure(_per_fold(first, body_cols[0]), lambda m: m >= 0.80)
        body.note = hit_note.strip()
    return sec


def counterfactual_section(t: Tables, cfg: dict) -> Section:
    """Lenis et al. 2020: the inpainter's domain test and the attribution maps' localisation."""
    n = cfg["folds"]["n_folds"]
    folds = cfg["counterfactual"].get("folds") or list(range(n))
    sec = Section("counterfactual", "Counterfactual impact analysis", "Lenis et al. 2020")
    healthy = Claim("Healthy-tissue inpainting moves the test AUC little: mean |ΔAUC| over repetitions",
                    "AUC 0.89 → 0.89 (mammography), 0.89 → 0.88 (chest X-ray), 10 runs (Fig. 1)", "<= 0.01")
    healthy_max = Claim("... and no single repetition moves it more than the goal: max |ΔAUC|",
                        "as above", "<= 0.02")
    fracture = Claim("Fracture-region inpainting lowers mean p(fracture) of fractured test vertebrae",
                     "AUC 0.89 → 0.86 with the pathological regions inpainted (Fig. 1); p(fracture) not reported", ">= 0.30")
    hausdorff = Claim("Our maps' Hausdorff distance to the true fracture region below Grad-CAM's and saliency's at every "
                      "percentile (paired Wilcoxon p < 0.05)",
                      "ours 188.1 ± 68.3 px vs Grad-CAM 243.8-296.3, saliency 240.8-259.6 at p50/75/90, all p < 0.01 (Table 1)",
                      "below all 6, p < 0.05", digits=1)
    weak = Claim("Weak localisation of our maps (share of true fracture boxes found)",
                 "0.45 ours vs Grad-CAM 0.06-0.28, saliency 0.25-0.30 (Table 1)", ">= 0.70")
    sec.claims = [healthy, healthy_max, fracture, hausdorff, weak]
    sec.text.append(f"Explained folds (counterfactual.folds): {folds}.")

    domain = t.folds(T.CF_DOMAIN, folds)
    if domain is None:
        for c in (healthy, healthy_max, fracture):
            c.not_run(f"no {t.rel(T.CF_DOMAIN, k='<k>')}")
    else:
        rows, changes, drops = [], {}, {}
        for k, d in domain.groupby("fold"):
            original = d[d.condition == "original"]
            reps = d[d.condition == "healthy_tissue"]
            region = d[d.condition == "fracture_region"]
            if not len(original):
                continue
            base = float(original.auc.iloc[0])
            delta = (reps.auc - base).to_numpy()
            changes[int(k)] = delta
            if len(region):
                drops[int(k)] = float(original.mean_p_fractured.iloc[0] - region.mean_p_fractured.iloc[0])
            rows.append({"fold": int(k), "split": original.split.iloc[0], "auc original": base,
                         "mean |ΔAUC| healthy": float(np.abs(delta).mean()) if len(delta) else float("nan"),
                         "max |ΔAUC| healthy": float(np.abs(delta).max()) if len(delta) else float("nan"),
                         "repetitions": len(delta), "auc fracture region": float(region.auc.iloc[0]) if len(region) else float("nan"),
                         "p(fracture) drop": drops.get(int(k), float("nan"))})
        all_delta = np.concatenate([v for v in changes.values()]) if changes else np.zeros(0)
        if len(all_delta):
            healthy.measure({k: float(np.abs(v).mean()) for k, v in changes.items() if len(v)}, None)
            healthy.decide(float(np.abs(all_delta).mean()) <= 0.01)
            healthy.note = (f"Mean over all {len(all_delta)} fold x repetition runs: {_fmt(np.abs(all_delta).mean())}; "
                            f"signed mean ΔAUC {_fmt(all_delta.mean(), 4)}.")
            healthy_max.measure({k: float(np.abs(v).max()) for k, v in changes.items() if len(v)}, None)
            healthy_max.decide(float(np.abs(all_delta).max()) <= 0.02)
            healthy_max.ours = f"{_fmt(np.abs(all_delta).max())} (largest of {len(all_delta)} runs)"
        else:
            for c in (healthy, healthy_max):
                c.not_run("no healthy_tissue rows in domain.parquet")
        if drops:
            fracture.measure(drops, lambda m: m >= 0.30)
        else:
            fracture.not_run("no fracture_region rows in domain.parquet")
        if rows:
            sec.text.append("Inpainter domain test per fold:\n\n" + markdown_table(pd.DataFrame(rows)))
            sec.data["domain"] = pd.DataFrame(rows)

    loc = t.folds(T.CF_LOCALISATION, folds)
    if loc is None:
        hausdorff.not_run(f"no {t.rel(T.CF_LOCALISATION, k='<k>')}")
        weak.not_run(f"no {t.rel(T.CF_LOCALISATION, k='<k>')}")
        return sec
    loc = loc[(loc.split == "test") & (loc.target == "fracture")]
    if not len(loc):
        hausdorff.not_run("no test vertebra with a ground-truth fracture region in localisation.parquet")
        weak.not_run("no test vertebra with a ground-truth fracture region in localisation.parquet")
        return sec
    ours = loc[loc.method == "ours"]
    weak.measure(_per_fold(ours, "weak_localisation"), lambda m: m >= 0.70)
    hausdorff.measure(_per_fold(ours.dropna(subset=["hausdorff_mm"]), "hausdorff_mm"), None)
    wilcoxon = t.read(T.CF_WILCOXON)
    rows = []
    for method in PERCENTILE_METHODS:
        other = loc[loc.method == method].dropna(subset=["hausdorff_mm"])
        w = None if wilcoxon is None else wilcoxon[(wilcoxon.split == "test") & (wilcoxon.target == "fracture")
                                                   & (wilcoxon.method == method) & (wilcoxon.metric == "hausdorff_mm")]
        theirs = _per_fold(other, "hausdorff_mm")
        row = {"method": method, "ours mm (mean over folds)": hausdorff.mean,
               "theirs mm (mean over folds)": float(np.mean(list(theirs.values()))) if theirs else float("nan"),
               "pairs": int(w.pairs.iloc[0]) if w is not None and len(w) else 0,
               "ours mm (pairs)": float(w.ours_mean.iloc[0]) if w is not None and len(w) else float("nan"),
               "theirs mm (pairs)": float(w.other_mean.iloc[0]) if w is not None and len(w) else float("nan"),
               "p (Wilcoxon, two-sided)": float(w.p_value.iloc[0]) if w is not None and len(w) else float("nan")}
        row["below, p < 0.05"] = bool(_finite(row["p (Wilcoxon, two-sided)"]) and row["p (Wilcoxon, two-sided)"] < 0.05
                                      and row["ours mm (pairs)"] < row["theirs mm (pairs)"])
        rows.append(row)
    table = pd.DataFrame(rows)
    sec.data["hausdorff"] = table
    if wilcoxon is None:
        hausdorff.not_run(f"no {t.rel(T.CF_WILCOXON)} (the paired test)")
    else:
        hausdorff.decide(bool(table["below, p < 0.05"].all()))
        hausdorff.ours = (f"{_fmt(hausdorff.mean, 1)} ± {_fmt(hausdorff.sd, 1)} mm; below with p < 0.05 against "
                          f"{int(table['below, p < 0.05'].sum())} of {len(table)}")
        hausdorff.note = f"Pooled paired tests over the explained folds' test vertebrae (`{t.rel(T.CF_WILCOXON)}`)."
    sec.text.append("Hausdorff distance (mm) to the true fracture region, fractured test vertebrae:\n\n"
                    + markdown_table(table, digits=4))
    return sec


def dissection_section(t: Tables, cfg: dict) -> Section:
    """Engstler et al. 2022: do the top true-positive units overlap the true fracture region, and what are they?"""
    folds = range(cfg["folds"]["n_folds"])
    sec = Section("dissection", "Network dissection", "Engstler et al. 2022")
    overlap = Claim("Top-10 units of the true-positive ranking overlap the true fracture region more than random units, "
                    "permutation p < 0.01 in every fold",
                    "not tested in the paper (experts read the top-10 TP units; 3 of 10 had no clear concept, Table 2)",
                    "p < 0.01 in every fold", digits=4)
    concepts = Claim("The concepts of the top units are named", "Table 2: 7 of the top-10 units named by two experts",
                     "every top unit named")
    sec.claims = [overlap, concepts]
    table = t.read(T.DISSECTION_OVERLAP)
    if table is None:
        table = t.folds(T.FRACTURE_OVERLAP, folds)
    if table is None:
        overlap.not_run(f"no {t.rel(T.DISSECTION_OVERLAP)}")
    else:
        tp = table[table.ranking == "tp"]
        if not len(tp):
            overlap.not_run("no true-positive ranking in the permutation-test table (no ground-truth fracture regions?)")
        else:
            overlap.measure(_per_fold(tp, "p_value"), None)
            every = len(set(tp.fold)) == len(folds)
            units = sorted(set(int(u) for u in tp.n_units))
            overlap.ours = (f"p max {_fmt(tp.p_value.max(), 4)}; mean IoU {_fmt(tp.mean_iou.mean(), 4)} vs random "
                            f"{_fmt(tp.null_mean_iou.mean(), 4)}")
            if units != [10]:
                overlap.not_measured(f"the table tests the top {units} units (dissection.top_units), not the top 10; "
                                     f"at that size p < 0.01 holds in {int((tp.p_value < 0.01).sum())} of {len(tp)} folds")
            else:
                overlap.decide(every and bool((tp.p_value < 0.01).all()))
                overlap.note = f"p < 0.01 in {int((tp.p_value < 0.01).sum())} of {len(tp)} folds." + _missing_folds(tp, folds)
            sec.text.append("Permutation test, true-positive ranking:\n\n" + markdown_table(
                tp[["fold", "n_units", "mean_iou", "null_mean_iou", "p_value", "n_above_median", "n_above_p95"]], digits=4))
    top = t.read(T.DISSECTION_TOP_UNITS)
    if top is None:
        parts = [d.assign(fold=k) for k in folds if (d := t.read(T.TOP_UNITS, k=k)) is not None]
        top = pd.concat(parts, ignore_index=True) if parts else None
    if top is None:
        concepts.not_run(f"no {t.rel(T.DISSECTION_TOP_UNITS)}")
    else:
        tp = top[top.ranking == "tp"].sort_values(["fold", "rank"])
        named = tp.best_concept.fillna("").astype(str) != ""
        counts = tp[named].best_concept.value_counts()
        concepts.ours = ", ".join(f"{c} ({n})" for c, n in counts.items()) or "none named"
        concepts.decide(bool(len(tp)) and bool(named.all()))
        concepts.note = (f"{int(named.sum())} of {len(tp)} top TP units (over folds) have a concept of highest IoU; "
                         "counts in brackets.")
        concepts.detail = {"counts": counts.to_dict()}
        shown = tp[["fold", "rank", "unit", "value", "best_concept", "best_iou", "fracture_iou"]].rename(
            columns={"value": "c_tp", "best_concept": "concept"})
        sec.text.append("Top units of the true-positive ranking and their concepts (highest IoU with a mask-derived "
                        "concept):\n\n" + markdown_table(shown, digits=4))
        sec.data["top_units"] = shown
    return sec


def _keypoint_arm(cfg: dict) -> str:
    arms = cfg["keypoints"]["arms"]
    full = [name for name, lam in arms.items() if all(x > 0 for x in lam)]
    return full[0] if full else next(iter(arms))


def keypoints_section(t: Tables, cfg: dict) -> Section:
    """XVFA: keypoint error in mm and the moderate+severe AUC."""
    folds = range(cfg["folds"]["n_folds"])
    arm = _keypoint_arm(cfg)
    sec = Section("keypoints", "Keypoints and the differentiable Genant rule", "XVFA")
    error = Claim(f"Mean six-point error on test vertebrae (arm '{arm}')",
                  "not reported in mm (model uncertainty ±5.3 px within the 5th-95th percentiles, on X-ray)", "<= 1.5 mm",
                  digits=2)
    moderate = Claim(f"Normal+mild vs moderate+severe test AUC (arm '{arm}')", "AUC 0.99 ± 0.01 (Table 1, full model)",
                     ">= 0.95")
    fracture = Claim(f"Normal vs fracture test AUC (arm '{arm}')", "AUC 0.98 ± 0.01 (Table 1, full model)", "none set")
    sec.claims = [error, moderate, fracture]
    metrics = t.folds(T.KEYPOINT_METRICS, folds, arm=arm)
    if metrics is None:
        table = t.read(T.KEYPOINT_TABLE)
        if table is None:
            for c in sec.claims:
                c.not_run(f"no {t.rel(T.KEYPOINT_TABLE)}")
            return sec
        # Only the summary: mean and SD, no per-fold values.
        for c, task, metric, passes in ((error, "fracture", "point_error_mm", lambda m: m <= 1.5),
                                        (moderate, "moderate", "auc", lambda m: m >= 0.95), (fracture, "fracture", "auc", None)):
            row = table[(table.arm == arm) & (table.split == "test") & (table.task == task) & (table.metric == metric)]
            if not len(row):
                c.not_run(f"no test {task} {metric} row for arm '{arm}' in {t.rel(T.KEYPOINT_TABLE)}")
                continue
            c.mean, c.sd = float(row["mean"].iloc[0]), float(row["std"].iloc[0])
            c.verdict = NO_GOAL if passes is None else (CONFIRMED if passes(c.mean) else MISSED)
            c.note = f"From {t.rel(T.KEYPOINT_TABLE)} (per-fold metrics missing)."
    else:
        test = metrics[metrics.split == "test"]
        error.measure(_per_fold(test[test.task == "fracture"], "point_error_mm"), lambda m: m <= 1.5)
        moderate.measure(_per_fold(test[test.task == "moderate"], "auc"), lambda m: m >= 0.95)
        fracture.measure(_per_fold(test[test.task == "fracture"], "auc"), None)
    heights = t.read(T.MORPHOMETRY)
    predictions = t.folds(T.KEYPOINT_PREDICTIONS, folds, arm=arm)
    truth = None
    if predictions is not None and "true_point_error_mm" in predictions.columns:
        truth = predictions[(predictions.split == "test") & np.isfinite(predictions.true_point_error_mm)]
    if truth is not None and len(truth):
        mask_error = error.mean
        error.measure({int(k): float(d.true_point_error_mm.mean()) for k, d in truth.groupby("fold")}, lambda m: m <= 1.5)
        error.note = (error.note + f" Against the generator's true points (keypoint_predictions.true_point_error_mm, "
                      f"{len(truth)} test rows); against the mask-derived targets the models are trained on: "
                      f"{_fmt(mask_error, 2)} mm.").strip()
    else:
        error.note = (error.note + " Against the mask-derived targets: the keypoint tables hold no distance to the generator's "
                      "true points (needed: `true_point_error_mm` in keypoint_predictions).").strip()
    if heights is not None and predictions is not None:
        tested = predictions[predictions.split == "test"][["subject", "label"]].drop_duplicates()
        mask = heights.merge(tested, on=["subject", "label"])
        mask = mask[(mask.status == "measured") & np.isfinite(mask.point_error_mm)]
        if len(mask):
            error.note += (f" The mask-derived targets of these {len(mask)} test vertebrae are "
                           f"{_fmt(mask.point_error_mm.mean(), 2)} mm from the generator's points (heights.parquet).")
            error.detail = {"mask_to_truth_mm": float(mask.point_error_mm.mean())}
    return sec


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


# --- document --------------------------------------------------------------------------------------------------------


def build(results: Path, cfg: dict) -> list[Section]:
    """Every section, then an appendix listing the tables that were looked for and not found."""
    t = Tables(results)
    sections = [classifier_section(t, cfg), prototypes_section(t, cfg), counterfactual_section(t, cfg),
                dissection_section(t, cfg), keypoints_section(t, cfg), benchmark_section(t)]
    for claim in (c for s in sections for c in s.claims if c.verdict == NOT_RUN):
        for rel, columns in t.lacking.items():
            if "results/" + re.sub(r"fold\d+", "fold<k>", rel) in claim.note:
                claim.not_measured(f"`results/{rel}` lacks column(s) {columns} (written by an older version?)")
    missing = Section("missing", "Tables not found", "")
    missing.text.append("\n".join(f"- `results/{path}`: {why}" for path, why in sorted(t.missing.items()))
                        if t.missing else "Every table looked for was found.")
    missing.data["missing"] = dict(sorted(t.missing.items()))
    return sections + [missing]


def render(sections: list[Section], command: str, wall_time: str, results: str, config: str) -> str:
    claims = [(s, c) for s in sections for c in s.claims]
    counts = pd.Series([c.verdict for _, c in claims]).value_counts()
    lines = ["# Study: the papers' claims on the synthetic cohort", "",
             "Generated by `python -m spinexai.study` from the run's Parquet tables; do not edit by hand.", "",
             f"- Command: `{command or 'not recorded'}`", f"- Wall time: {wall_time or 'not recorded'}",
             f"- Results: `{results}`; config: `{config}`",
             "- Ours: mean over the fold models on the held-out test split ± SD over folds, with the per-fold values "
             "(f<k>).", "- Verdicts: " + ", ".join(f"{v} {n}" for v, n in counts.items()), "",
             "## Summary", "",
             markdown_table(pd.DataFrame([{"section": s.title, "claim": c.claim, "goal": c.goal, "ours": c.ours_text(),
                                           "verdict": c.verdict} for s, c in claims])), ""]
    for s in sections:
        lines += [f"## {s.title} ({s.paper})" if s.paper else f"## {s.title}", ""]
        if s.claims:
            lines += [markdown_table(pd.DataFrame([{
                "paper": s.paper, "claim": c.claim, "paper's figure": c.paper_figure, "goal": c.goal, "ours": c.ours_text(),
                "per fold": c.folds_label or c.folds_text(), "verdict": c.verdict} for c in s.claims])), ""]
            lines += [f"- *{c.claim}*: {c.note}" for c in s.claims if c.note] + [""]
        for text in s.text:
            lines += [text, ""]
    return "\n".join(lines).rstrip() + "\n"


def to_json(sections: list[Section], command: str, wall_time: str, results: str, config: str) -> dict:
    return {"command": command, "wall_time": wall_time, "results": results, "config": config,
            "sections": [{"key": s.key, "title": s.title, "paper": s.paper, "claims": [c.as_json() for c in s.claims],
                          "data": _jsonable(s.data)} for s in sections]}


def write_study(results: str | Path, configs: list[str | Path], out: str | Path, command: str = "", wall_time: str = "",
                json_out: str | Path | None = None, base: bool = True) -> tuple[Path, Path]:
    """Write the Markdown document and its JSON twin (default: ``out`` with the suffix .json)."""
    cfg = load_config(configs, base=base)
    sections = build(Path(results), cfg)
    out = Path(out)
    json_out = Path(json_out) if json_out else out.with_suffix(".json")
    names = " + ".join(str(c) for c in configs)
    out.parent.mkdir(parents=True, exist_ok=True)
    json_out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out, render(sections, command, wall_time, str(results), names))
    write_text_atomic(json_out, json.dumps(to_json(sections, command, wall_time, str(results), names), indent=1, ensure_ascii=False) + "\n")
    return out, json_out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", required=True, help="the run's results/ folder")
    parser.add_argument("--config", required=True, action="append",
                        help="config YAML of the run (repeatable, later files win; config.yaml beside the first is merged "
                             "underneath, as the Snakefile does, unless --no-base)")
    parser.add_argument("--no-base", action="store_true", help="do not merge the default config.yaml underneath")
    parser.add_argument("--out", required=True, help="Markdown output, e.g. docs/study.md")
    parser.add_argument("--json", default=None, help="JSON output (default: --out with .json)")
    parser.add_argument("--command", default="", help="the command that produced the run")
    parser.add_argument("--wall-time", default="", help="the run's wall time, as text")
    args = parser.parse_args(argv)
    md, js = write_study(args.results, args.config, args.out, args.command, args.wall_time, args.json, base=not args.no_base)
    print(f"wrote {md} and {js}")


if __name__ == "__main__":
    main()
