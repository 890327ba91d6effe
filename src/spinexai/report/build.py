"""The browsable HTML report: ``results/report/index.html`` and one page per selected case.

Pages are static HTML rendered with Jinja2 and link to the PNGs the stages wrote with relative paths,
so the report works from the file system (no server, no internet) as long as ``results/`` stays whole.
A stage whose outputs are missing gets a clear empty state instead of broken links.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import os
import subprocess
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from matplotlib.figure import Figure

from spinexai.cases import case_id
from spinexai.data.tensors import load_sagittal_stack
from spinexai.io.atomic import write_figure, write_text_atomic
from spinexai.prototypes.figures import case_figure, upsample
from spinexai.report.benchmark import benchmark_section
from spinexai.report.case_figures import patch_figure, sagittal_figure
from spinexai.report.counterfactual import case_counterfactual, counterfactual_section
from spinexai.report.viewer import HALF_MM, WINDOW_HU, copy_vendor, viewer_data, write_viewer_script

log = logging.getLogger(__name__)
PACKAGES = ("spinexai", "torch", "monai", "snakemake", "snakemake-executor-plugin-slurm", "numpy", "pandas",
            "pyarrow", "nibabel", "SimpleITK", "scikit-learn", "matplotlib")


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


def _cell(value) -> str | Markup:
    if hasattr(value, "__html__"):
        return Markup(value.__html__())
    if isinstance(value, float | np.floating):
        return "" if np.isnan(value) else f"{value:.3g}"
    return str(value)


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("spinexai.report", "templates"), autoescape=select_autoescape(["j2"]))
    env.filters["cell"] = _cell
    return env


def _read(path: Path | None) -> pd.DataFrame | None:
    return pd.read_parquet(path) if path is not None and Path(path).exists() else None


def _exists(path: Path | None) -> bool:
    return path is not None and Path(path).exists()


class Report:
    """Builds the pages; ``out`` is results/report."""

    def __init__(self, inputs: ReportInputs, out: Path) -> None:
        self.inputs, self.out = inputs, Path(out)
        self.env = _environment()
        self.cfg = inputs.config
        self.manifest, self.patches = _read(inputs.manifest), _read(inputs.patches)
        self.predictions, self.heights = _read(inputs.predictions), _read(inputs.heights)
        self.cases = _read(inputs.cases)

    def rel(self, path: Path | str, page_dir: Path) -> str:
        return Path(os.path.relpath(Path(path).resolve(), page_dir.resolve())).as_posix()

    def fig(self, path: Path | None, caption: str, page_dir: Path, missing: str = "the stage did not write it",
            width: str | None = None) -> Fig:
        if _exists(path):
            return Fig(self.rel(path, page_dir), caption, width=width)
        return Fig(None, caption, missing)

    # -- index sections ---------------------------------------------------------------------------------

    def dataset_section(self) -> Section:
        section = Section("dataset", "Dataset")
        if self.manifest is None:
            section.empty = {"message": "The data stage has not run: no manifest."}
            return section
        m, p = self.manifest, self.patches
        included = p[p["status"] == "included"] if p is not None else m[m["status"] == "included"]
        summary = pd.DataFrame({
            "": ["subjects", "vertebrae found", "vertebrae included (patches)", "fractured (included)",
                 "vertebrae centred on mask centres (no centroid file)"],
            "count": [m["subject"].nunique(), len(m), len(included), int(included["fracture"].sum()),
                      int((m["centroid_source"] == "mask").sum()) if "centroid_source" in m else 0],
        })
        grades = included["grade"].map(lambda g: f"G{g}" if g >= 0 else "ungraded").value_counts().sort_index()
        section.blocks.append(Block(text=f"Dataset kind: {self.cfg.get('dataset', {}).get('kind', '?')}; fracture = "
                                         f"Genant grade >= {self.cfg.get('data', {}).get('fracture_min_grade', 1)}.",
                                    table=summary))
        section.blocks.append(Block(heading="Included vertebrae by Genant grade",
                                    table=grades.rename_axis("grade").reset_index(name="vertebrae")))
        folds = _read(self.inputs.folds)
        if folds is not None:
            per_fold = folds.assign(fold=folds["fold"].map(lambda f: "test" if f < 0 else f"fold {f}")).groupby("fold").agg(
                subjects=("subject", "count"), vertebrae=("n_vertebrae", "sum"), fractures=("n_fractures", "sum"))
            section.blocks.append(Block(heading="Patient-level folds", table=per_fold.reset_index()))
        exclusions = _read(self.inputs.exclusions)
        if exclusions is not None:
            counts = exclusions.groupby(["stage", "reason"]).size().reset_index(name="vertebrae")
            section.blocks.append(Block(
                heading="Exclusions", text="Every vertebra that was left out, with the reason (label -1: a whole subject).",
                table=counts.sort_values("vertebrae", ascending=False),
                details={"summary": f"all {len(exclusions)} exclusions",
                         "table": exclusions[["subject", "series", "label", "level", "stage", "reason", "file"]]}))
        return section

    def classifier_section(self, page_dir: Path) -> Section:
        section = Section("classifier", "3D fracture classifier (Engstler et al. 2022)")
        table1 = _read(self.inputs.table1)
        if table1 is None:
            section.empty = {"message": "The 3D classifier has not run: no results/classifier3d/table1.parquet."}
            return section
        wide = table1.assign(value=[f"{m:.3f} ± {s:.3f}" for m, s in zip(table1["mean"], table1["std"], strict=True)])
        wide = wide.pivot(index="metric", columns="split", values="value").reset_index()
        section.blocks.append(Block(text="Mean ± SD over the fold models: 'val' is each fold's own validation subjects, "
                                         "'test' the held-out subjects scored by every fold model.", table=wide))
        section.blocks.append(Block(figures=[self.fig(self.inputs.curves, "ROC and precision-recall curves of every "
                                                      "fold model on the held-out test subjects.", page_dir)]))
        by_fold = _read(self.inputs.metrics_by_fold)
        if by_fold is not None:
            section.blocks.append(Block(heading="Per fold", table=by_fold))
        return section

    def dissection_section(self, page_dir: Path) -> Section:
        section = Section("dissection", "Network dissection (Engstler et al. 2022)")
        root = self.inputs.dissection
        if not _exists(root) or not _exists(root / "top_units.parquet"):
            section.empty = {"message": "Network dissection has not run: no results/dissection/top_units.parquet."}
            return section
        cfg = self.cfg.get("dissection", {})
        ranking = cfg.get("rank_by", "tp")
        section.blocks.append(Block(
            text=f"Units of the last encoder block, thresholded at their top {cfg.get('quantile', 0.005):.3%} activation "
                 f"over the '{cfg.get('split', 'test')}' split. c_k is the fraction of samples of a set (true positives, "
                 "positives, false positives) that enable a unit; concept labels are the anatomical region each unit's "
                 "above-threshold region overlaps most (IoU).",
            figures=[self.fig(root / "concepts.png", "Best concept of each fold's top units: which anatomy the "
                                                     "units most correlated with the diagnosis look at.", page_dir)]))
        overlap = _read(root / "fracture_overlap.parquet")
        if overlap is not None and len(overlap):
            section.blocks.append(Block(heading="Do top units look at the fracture? (synthetic ground truth)",
                                        text="Mean IoU of each ranking's top units with the true fracture region against "
                                             "random sets of as many units (one-sided permutation p-value).",
                                        table=overlap))
        for fold_dir in sorted(root.glob("fold*")):
            tops = _read(fold_dir / "top_units.parquet")
            exports = _read(fold_dir / "units" / "exports.parquet")
            if tops is None:
                continue
            shown = tops[tops["ranking"] == (ranking if (tops["ranking"] == ranking).any() else "positive")].copy()
            collages = {} if exports is None else dict(
                zip(exports.loc[exports["kind"] == "collage", "unit"], exports.loc[exports["kind"] == "collage", "file"],
                    strict=True))
            shown["collage"] = [Link(self.rel(fold_dir / "units" / collages[u], page_dir), f"unit {u}") if u in collages
                                else "" for u in shown["unit"]]
            figs = [self.fig(fold_dir / "units" / collages[u], f"{fold_dir.name}, unit {u}: its 25 most activating "
                             "fractured samples (activation in colour, above-threshold region outlined).", page_dir,
                             width="32rem") for u in list(shown["unit"])[:2] if u in collages]
            section.blocks.append(Block(heading=f"{fold_dir.name}: top units by {shown['ranking'].iloc[0] if len(shown) else ranking}",
                                        table=shown.drop(columns=["ranking"]), figures=figs))
        return section

    def cases_section(self) -> Section:
        section = Section("cases", "Cases")
        if self.cases is None:
            section.empty = {"message": "No cases were selected (the classifier has not run)."}
            return section
        rows = self.cases.copy()
        rows["page"] = [Link(f"cases/{self.case_page_name(c)}", f"{c.subject} {c.level}") for c in rows.itertuples()]
        section.blocks.append(Block(
            text="Vertebrae explained one by one: the config's cases.list plus, per fold, the most confident true "
                 "positives, false positives and missed fractures. Open a case to see why it was called fractured.",
            table=rows[["page", "fold", "grade", "fracture", "split", "probability", "outcome", "reason"]]))
        return section

    def morphometry_section(self, page_dir: Path) -> Section:
        section = Section("morphometry", "Genant morphometry")
        h = self.heights
        if h is None:
            section.empty = {"message": "Morphometry has not run: no results/morphometry/heights.parquet."}
            return section
        measured = h[h["status"] == "measured"]
        lines = pd.DataFrame({"": ["vertebrae", "measured", "not measured"],
                              "count": [len(h), len(measured), len(h) - len(measured)]})
        text = ("Six points on the vertebral-body mask in each vertebra's mid-sagittal reformation; the Genant reading "
                "compares them with expected heights: the vertebra's own largest, or the nearest unfractured "
                "neighbours' scaled by level when all three are reduced alike.")
        if measured["point_error_mm"].notna().any():
            text += (f" Mean distance to the generator's points: {measured['point_error_mm'].mean():.2f} mm over "
                     f"{measured['point_error_mm'].notna().sum()} vertebrae.")
        section.blocks.append(Block(text=text, table=lines))
        graded = measured[measured["grade"] >= 0]
        if len(graded):
            confusion = pd.crosstab(graded["grade"].map(lambda g: f"G{g}"),
                                    graded["genant_grade"].map(lambda g: f"read G{int(g)}"))
            section.blocks.append(Block(heading="Grade table (rows) against the mask reading (columns)",
                                        table=confusion.reset_index()))
        if _exists(self.inputs.keypoints):
            section.blocks.extend(self.keypoint_blocks(page_dir))
        path = self.out / "figures" / "morphometry.png"
        write_figure(_ratios_figure(measured), path)
        section.blocks.append(Block(figures=[self.fig(path, "Height ratios of every measured vertebra coloured by "
                                                            "its Genant grade: fractures lower the ratios.", page_dir)]))
        return section

    def keypoint_blocks(self, page_dir: Path) -> list[Block]:
        """XVFA on CT: the keypoint model's metrics per arm, its morphology confusion and decision borders."""
        root = Path(self.inputs.keypoints).parent
        table = pd.read_parquet(self.inputs.keypoints)
        test = table[(table["split"] == "test") & table["metric"].isin(["auc", "f1", "sensitivity", "specificity",
                                                                       "point_error_mm", "sampled_auc_mean"])]
        test = test.assign(value=[f"{m:.3f} ± {s:.3f}" for m, s in zip(test["mean"], test["std"], strict=True)])
        wide = test.pivot(index=["arm", "task"], columns="metric", values="value").reset_index()
        blocks = [Block(heading="Keypoint model with a differentiable Genant classifier (XVFA)",
                        text="Six points predicted on the reformation (residual log-likelihood with a RealNVP flow), "
                             "read by the fuzzy Genant rule and/or an image head; held-out test subjects, mean ± SD over "
                             "fold models, at the Youden point. fracture: G0 vs G1-3; moderate: G0-1 vs G2-3; "
                             "sampled_auc_mean: AUC averaged over keypoint draws from the flow.", table=wide)]
        confusion = _read(root / "morphology_confusion.parquet")
        if confusion is not None and len(confusion):
            pivot = confusion.pivot_table(index=["arm", "true"], columns="predicted", values="count", fill_value=0)
            blocks.append(Block(heading="Morphology: grade table (rows) against the prediction (columns), test split",
                                table=pivot.reset_index()))
        blocks.append(Block(figures=[self.fig(root / "decision_border.png", "Where the Genant rule puts its grade "
                                              "borders in the MPR-MAR plane, with the test vertebrae at the ratios of "
                                              "their predicted keypoints (colour: true grade).", page_dir)]))
        return blocks

    def prototypes_section(self, page_dir: Path) -> Section:
        """ProtoVerse: paper-shaped tables, Wilcoxon tests, contributions, cosine, localisation, gallery, reader kit."""
        section = Section("prototypes", "ProtoVerse prototypes (Sinhamahapatra et al. 2024)")
        root = self.inputs.prototypes
        if root is None or not _exists(root / "tables.parquet"):
            section.empty = {"message": "The prototype stage has not run: no results/prototypes/tables.parquet."}
            return section
        cfg = self.cfg.get("prototypes", {})
        main = cfg.get("main_arm", "protoverse")
        tables = pd.read_parquet(root / "tables.parquet")
        cols = ["paper_table", "arm", "value", "class_accuracy_mean", "class_accuracy_std", "class_f1_mean",
                "class_f1_std", "sample_accuracy_mean", "sample_accuracy_std", "folds"]
        section.blocks.append(Block(
            text=f"Genant grades {cfg.get('grades', [0, 2, 3])} from the 2D reformation. Mean ± SD over folds of "
                 "class-average accuracy, class-average F1 and sample accuracy; Table 1 scores the held-out test subjects "
                 "with every fold model, Table 2 each fold's own validation subjects. Ablation tables list the arms that "
                 "differ from the main arm in one setting.", table=tables[cols]))
        wilcoxon = _read(root / "wilcoxon.parquet")
        if wilcoxon is not None and len(wilcoxon):
            section.blocks.append(Block(heading=f"Paired Wilcoxon tests over folds: {main} against the other arms",
                                        text="Exact two-sided p (at least 0.0625 with 5 folds) and one-sided p for "
                                             "'main is better' (the paper's 0.031 is one-sided).", table=wilcoxon))
        contributions = _read(root / "contribution_matrix.parquet")
        if contributions is not None and len(contributions):
            wide = contributions[contributions["arm"] == main].pivot(index="grade", columns="prototype_grade",
                                                                   values="contribution_mean")
            section.blocks.append(Block(heading="Contribution scores (Table 3): test grade (rows) x prototype grade (columns)",
                                        table=wide.rename(columns=lambda g: f"G{g} prototypes").reset_index()))
        cosine = _read(root / "cosine_summary.parquet")
        if cosine is not None and len(cosine):
            section.blocks.append(Block(
                heading="Prototype diversity (Figure 3)",
                text="Mean cosine similarity of distinct same-grade prototype pairs (lower = more diverse) and of "
                     "different-grade pairs, per fold.",
                table=cosine.groupby("arm")[["intra_class_cosine", "inter_class_cosine"]].mean().reset_index(),
                figures=[self.fig(root / "cosine.png", "Cosine similarity between the prototype vectors of each arm "
                                  "(one fold); blocks on the diagonal are the grades.", page_dir)]))
        localisation = _read(root / "localisation.parquet")
        if localisation is not None and len(localisation):
            section.blocks.append(Block(
                heading="Do explanations point at the fracture? (synthetic ground truth)",
                text="Share of heatmap peaks of G2/G3 test vertebrae inside the true fracture region: each of the top-3 "
                     "prototypes, cases where 2 of 3 hit, and the baseline's Grad-CAM, Grad-CAM++ and XGradCAM for the "
                     "true grade.", table=localisation))
        galleries = sorted((root / main).glob("fold*/gallery.png"))
        section.blocks.append(Block(heading="Prototypes after projection", figures=[
            self.fig(galleries[0] if galleries else None, f"{main}, {galleries[0].parent.name if galleries else ''}: "
                     "each prototype's source training image with its similarity map and the box enclosing the top 2%.",
                     page_dir),
            self.fig(root / "class_weighting.png", "Cross-validation metrics per class weighting (Figure 7).", page_dir)]))
        kit = root / "reader_kit" / "index.html"
        if _exists(kit):
            section.blocks.append(Block(heading="Reader study", text="One page per G2/G3 test case with its top-3 "
                                        "prototypes and the paper's two questions, and a CSV form per rater:",
                                        table=pd.DataFrame([{"kit": Link(self.rel(kit, page_dir), "open the reader kit")}])))
        return section

    def case_prototypes(self, case, page_dir: Path, stem: str) -> Section:
        """The case's top-3 prototypes under its fold's main-arm model, with heatmaps and source patches."""
        section = Section("prototypes", "Top-3 prototypes (ProtoVerse)")
        main = self.cfg.get("prototypes", {}).get("main_arm", "protoverse")
        fold_dir = self.inputs.prototypes / main / f"fold{case.fold}" if self.inputs.prototypes else None
        if fold_dir is None or not _exists(fold_dir / "similarity.npz"):
            section.empty = {"message": "The prototype stage has not run."}
            return section
        top = pd.read_parquet(fold_dir / "top3.parquet")
        mine = top[(top["subject"] == case.subject) & (top["label"] == case.label)].sort_values("rank")
        if mine.empty:
            section.empty = {"message": "This vertebra's grade is not one of the prototype model's classes "
                                        "(prototypes.grades), so it was not scored."}
            return section
        arrays = np.load(fold_dir / "similarity.npz")
        split = mine["split"].iloc[0]
        match = np.nonzero((arrays[f"{split}_subject"] == case.subject) & (arrays[f"{split}_label"] == case.label))[0]
        projection = pd.read_parquet(fold_dir / "projection.parquet").set_index("prototype")
        size = int(self.cfg.get("prototypes", {}).get("input_size", 224))
        key = (self.patches["subject"] == case.subject) & (self.patches["label"] == case.label)
        image = load_sagittal_stack(self.patches[key].head(1), size).float().numpy()[0, 0]
        heats = upsample(arrays[f"{split}_similarity"][match[0]][mine["prototype"].to_numpy()], size)
        sources = []
        for j in mine["prototype"]:
            src = projection.loc[int(j)]
            img, heat = arrays["projection_images"][int(src.image_index)].astype(np.float32)
            sources.append((img, heat, (src.box_row0, src.box_row1, src.box_col0, src.box_col1)))
        titles = [f"#{r.rank} p{r.prototype} (G{r.prototype_grade})\nsim {r.similarity:.2f}" for r in mine.itertuples()]
        case_figure(image, list(heats), titles, page_dir / f"{stem}_prototypes.png", sources)
        section.blocks.append(Block(
            text=f"The {main} model of fold {case.fold}: the three prototypes most similar to this vertebra, their "
                 "similarity, and their contribution (similarity x connection) to the predicted grade's logit.",
            table=mine[["rank", "prototype", "prototype_grade", "similarity", "contribution", "peak_in_fracture"]],
            figures=[Fig(f"{stem}_prototypes.png", "Top row: the case and each prototype's similarity heatmap on it. "
                                                   "Bottom row: the training image each prototype was projected onto, "
                                                   "with the box enclosing the top 2% of its similarity.")]))
        return section

    def config_section(self) -> Section:
        versions = pd.DataFrame({"package": PACKAGES, "version": [_version(p) for p in PACKAGES]})
        sources = [Block(heading="Config files in force", pre=self.inputs.config_sources)] if self.inputs.config_sources else []
        return Section("config", "Config and versions", [
            Block(table=versions), *sources,
            Block(heading="Config (after defaults)", pre=yaml.safe_dump(self.cfg, sort_keys=False))])

    # -- case pages -------------------------------------------------------------------------------------

    def overlay_section(self, case, page_dir: Path) -> Section:
        """The case's maps written onto the source CT's voxel grid (case_overlays, explain_concepts)."""
        section = Section("overlays", "Maps on the source CT (NIfTI overlays)")
        folder = self.overlay_dir(case)
        index = _read(folder / "overlays.parquet")
        rows = [] if index is None else [
            {"method": r.method, "file": self.rel(folder / r.file, page_dir) if r.file else "-",
             "map": r.description, "note": r.note or f"from a {r.source_grid} grid"} for r in index.itertuples()]
        units = self.relevance_dir(case) / "units_ct.nii.gz" if self.relevance_dir(case) is not None else None
        if _exists(units):
            rows.append({"method": "dissection", "file": self.rel(units, page_dir),
                         "map": "r_k-weighted map of the case's most relevant units (3D classifier)", "note": "3D"})
        gradcam = units.parent / "gradcam3d_ct.nii.gz" if units is not None else None
        if _exists(gradcam):
            rows.append({"method": "gradcam3d", "file": self.rel(gradcam, page_dir),
                         "map": "Grad-CAM of the 3D classifier's fracture logit at its last encoder block", "note": "3D"})
        if not rows:
            section.empty = {"message": "No map of this case was written onto the CT grid."}
            return section
        viewer = self.viewer_block(case, page_dir, {r["method"]: page_dir / r["file"] for r in rows if r["file"] != "-"})
        if viewer is not None:
            section.blocks.append(viewer)
        section.blocks.append(Block(
            text="Each file has the source CT's shape and affine: open the CT in 3D Slicer or ITK-SNAP and add the "
                 "file as an overlay, with no registration. 2D maps lie on the curved mid-sagittal sheet they were "
                 "sampled from (one voxel thick); the 3D map fills the classifier's input patch.",
            table=pd.DataFrame(rows)))
        return section

    def viewer_block(self, case, page_dir: Path, maps: dict[str, Path]) -> Block | None:
        """The CT around the vertebra with its maps, in the page's embedded viewer (NiiVue)."""
        ct_path = self.case_ct(case)
        if ct_path is None or not maps:
            return None
        key = self.case_page_name(case).removesuffix(".html")
        row = self.patches[(self.patches["subject"] == case.subject) & (self.patches["label"] == case.label)].iloc[0]
        centre = np.array([row["centroid_x"], row["centroid_y"], row["centroid_z"]], float)
        volumes = viewer_data(ct_path, {m: p.resolve() for m, p in maps.items()}, centre)
        write_viewer_script(page_dir / f"{key}_viewer.js", key, volumes)
        first = next((n for n, m in enumerate(volumes["maps"]) if m["name"] == "dissection"), 0)  # 3D: seen in every view
        options = "".join(f'<option value="{n}"{" selected" if n == first else ""}>{html.escape(m["name"])} '
                          f'({m["voxels"]} voxels)</option>' for n, m in enumerate(volumes["maps"]))
        assets = self.rel(self.out / "assets", page_dir)
        widget = Markup(
            f'<div class="spinexai-viewer" data-volumes="{html.escape(key)}">'
            f'<p><label>Map <select>{options}</select></label> <label>opacity '
            '<input type="range" min="0" max="1" step="0.05" value="0.5"></label></p>'
            '<div style="width: 100%; max-width: 1100px; height: 440px"><canvas></canvas></div>'
            '<p class="viewer-status muted">Loading the viewer...</p></div>'
            f'<script src="{assets}/niivue.umd.js"></script><script src="{key}_viewer.js"></script>'
            f'<script src="{assets}/viewer.js"></script>')
        return Block(heading="Viewer", html=widget, text=(
            f"The source CT within {HALF_MM:g} mm of the vertebra's centre, on its own voxel grid (shown in the "
            f"{WINDOW_HU[0]:g} to {WINDOW_HU[1]:g} HU window), with one map at a "
            "time (NiiVue; works offline from the file system). Click or scroll in a view to move through the slices."))

    def case_ct(self, case) -> str | None:
        if self.manifest is None:
            return None
        match = self.manifest.loc[self.manifest["subject"] == case.subject, "ct_path"]
        return str(match.iloc[0]) if len(match) else None

    def overlay_dir(self, case) -> Path:
        """Where the case's maps on the CT grid are (rule case_overlays)."""
        return self.inputs.results / "cases" / f"fold{case.fold}" / case_id(case.subject, case.label)

    def relevance_dir(self, case) -> Path | None:
        """Where the case's dissection (relevance table, figure, 3D map) is (rule explain_concepts)."""
        if self.inputs.dissection is None:
            return None
        return self.inputs.dissection / f"fold{case.fold}" / "cases" / case_id(case.subject, case.label)

    def case_verdict(self, case, row: pd.Series) -> str:
        threshold = self.cfg.get("classifier3d", {}).get("threshold", 0.5)
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
        key = (self.patches["subject"] == case.subject) & (self.patches["label"] == case.label)
        row = self.patches[key].iloc[0]
        stem = f"fold{case.fold}_{case_id(case.subject, case.label)}"
        hrow = None
        if self.heights is not None:
            match = self.heights[(self.heights["subject"] == case.subject) & (self.heights["label"] == case.label)]
            hrow = match.iloc[0] if len(match) else None
        write_figure(sagittal_figure(row, hrow), page_dir / f"{stem}_sagittal.png")
        write_figure(patch_figure(row), page_dir / f"{stem}_patch.png")
        verdict = self.case_verdict(case, row)
        sections = []

        images = Section("images", "Images", [Block(figures=[
            Fig(f"{stem}_sagittal.png", "Straightened mid-sagittal reformation (0.5 mm) with the vertebral body outlined "
                                        "(blue), the true fracture region where known (red) and the six morphometry points."),
            Fig(f"{stem}_patch.png", "Centre slices of the 96³ 1 mm patch the 3D classifier reads (a 64 mm centre crop).")])])
        sections.append(images)

        preds = Section("predictions", "Predictions of every model")
        if self.predictions is not None:
            p = self.predictions[(self.predictions["subject"] == case.subject) & (self.predictions["label"] == case.label)]
            preds.blocks.append(Block(text="3D classifier: every fold model that scored this vertebra.",
                                      table=p[["fold", "split", "probability", "prediction"]]))
        else:
            preds.empty = {"message": "The 3D classifier has not run."}
        proto_predictions = _read(self.inputs.prototypes / "predictions.parquet") if self.inputs.prototypes else None
        if proto_predictions is not None:
            p = proto_predictions[(proto_predictions["subject"] == case.subject) & (proto_predictions["label"] == case.label)]
            preds.empty = None
            preds.blocks.append(Block(
                text="Genant grade (prototype models and their baseline): every fold model and arm that scored this "
                     "vertebra; G1 vertebrae are not graded by these models." if len(p) else
                     "Genant grade models: this vertebra's grade is not one of their classes (prototypes.grades).",
                table=p[["arm", "fold", "split", "p_grade0", "p_grade2", "p_grade3", "predicted_grade"]] if len(p) else None))
        sections.append(preds)

        relevance_dir = self.relevance_dir(case)
        concepts = Section("concepts", "Most relevant concept units (network dissection)")
        relevance = _read(relevance_dir / "relevance.parquet") if relevance_dir is not None else None
        if relevance is not None:
            top = relevance.head(int(self.cfg.get("dissection", {}).get("case_units", 5)))
            named = [f"unit {u.unit} ({u.best_concept or 'no concept'})" for u in top.itertuples() if u.enabled]
            verdict += (" Most relevant units: " + ", ".join(named) + ".") if named else " No unit passes its threshold here."
            overlay = relevance_dir / "units_ct.nii.gz"
            overlay_text = (f" The r_k-weighted map of these units on the source CT's voxel grid (open it over the CT "
                            f"in 3D Slicer or ITK-SNAP): {self.rel(overlay, page_dir)}." if _exists(overlay) else "")
            concepts.blocks.append(Block(
                text="r_k = sum of the unit's above-threshold activation on this case; rank_tp is the unit's rank among "
                     "units correlated with true positives; best_concept its anatomical label." + overlay_text,
                table=top, figures=[self.fig(relevance_dir / "concepts.png", "Left: each relevant unit on this case "
                                             "(activation in colour, above-threshold region outlined); right: the unit's "
                                             "top fractured samples in the dissection set.", page_dir)]))
        else:
            concepts.empty = {"message": "Network dissection did not explain this case."}
        sections.append(concepts)
        sections.append(self.overlay_section(case, page_dir))

        morph = Section("morphometry", "Genant morphometry")
        if hrow is not None and hrow["status"] == "measured":
            cols = ["ha", "hm", "hp", "apr", "mpr", "mar", "expected_source", "genant_grade", "genant_morphology",
                    "genant_loss", "true_ha", "true_hm", "true_hp", "point_error_mm"]
            morph.blocks.append(Block(text="Heights in mm from the body mask; the reading compares them with the expected "
                                           "heights (expected_source: own or neighbours).",
                                      table=pd.DataFrame([hrow[cols]])))
            kp = _read(Path(self.inputs.keypoints).parent / "predictions.parquet") if _exists(self.inputs.keypoints) else None
            if kp is not None:
                mine = kp[(kp["subject"] == case.subject) & (kp["label"] == case.label)]
                morph.blocks.append(Block(
                    text="Keypoint model (XVFA): every fold model and arm that scored this vertebra; point error against "
                         "the mask-derived points, interval = mean half-width of the keypoints' quantile intervals.",
                    table=mine[["fold", "arm", "split", "p_fracture", "p_moderate", "predicted_grade",
                                "predicted_morphology", "point_error_mm", "interval_mm", "ha", "hm", "hp"]]))
        else:
            morph.empty = {"message": "No morphometry for this vertebra (no body mask, or the stage has not run)."}
        sections.append(morph)
        sections.append(self.case_prototypes(case, page_dir, stem))
        sections.append(case_counterfactual(self, case, page_dir, stem, Section, Block, Fig))
        gt = pd.DataFrame([{"grade": case.grade, "fracture": bool(case.fracture), "morphology": row.get("morphology", ""),
                            "fracture region": "outlined in red" if row.get("sag_fracture") else "not available"}])
        sections.append(Section("truth", "Ground truth", [Block(table=gt)]))
        return self.env.get_template("case.html.j2").render(
            title=self.case_title(case), home="../index.html", verdict=verdict,
            sections=sections)

    # -- all pages --------------------------------------------------------------------------------------

    def write(self) -> list[Path]:
        """Write index.html, the case pages and their figures; returns the pages written."""
        self.out.mkdir(parents=True, exist_ok=True)
        copy_vendor(self.out)
        case_dir = self.out / "cases"
        case_dir.mkdir(exist_ok=True)
        pages = []
        if self.cases is not None and self.patches is not None:
            for case in self.cases.itertuples():
                path = case_dir / self.case_page_name(case)
                write_text_atomic(path, self.case_page(case, case_dir))
                pages.append(path)
        sections = [
            self.dataset_section(), self.classifier_section(self.out), self.dissection_section(self.out),
            self.cases_section(),
            self.prototypes_section(self.out),
            counterfactual_section(self, self.out, Section, Block),
            benchmark_section(self, self.out, Section, Block),
            self.morphometry_section(self.out), self.config_section(),
        ]
        run = {"generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "version": _version("spinexai"),
               "commit": _commit(), "dataset": self.cfg.get("dataset", {}).get("kind", "?")}
        index = self.out / "index.html"
        write_text_atomic(index, self.env.get_template("index.html.j2").render(
            title="run report", home=None, sections=sections, run=run))
        return [index, *pages]


def _ratios_figure(measured: pd.DataFrame) -> Figure:
    fig = Figure(figsize=(5, 4))
    ax = fig.subplots()
    for grade, colour in ((0, "tab:green"), (1, "gold"), (2, "tab:orange"), (3, "tab:red")):
        rows = measured[measured["grade"] == grade]
        if len(rows):
            ax.scatter(rows["mar"], rows["mpr"], s=10, c=colour, label=f"G{grade} ({len(rows)})", alpha=0.7)
    ax.set(xlabel="MAR (hm / ha)", ylabel="MPR (hm / hp)", title="morphometry of the measured vertebrae")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                             check=False, cwd=Path(__file__).parent)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""
