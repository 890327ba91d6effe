"""Report sections of the counterfactual stage: the index section (domain test, Table 1, Wilcoxon,
sanity check, timing, galleries) and a case's counterfactual panel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from spinexai.counterfactual.figures import case_panel
from spinexai.report.model import Block, Fig, Section


def counterfactual_section(report, page_dir: Path) -> Section:
    section = Section("counterfactual", "Counterfactual impact analysis (Lenis et al. 2020)")
    root = report.inputs.counterfactual
    if root is None or not (root / "table1.parquet").exists():
        section.empty = {"message": "The counterfactual stage has not run: no results/counterfactual/table1.parquet."}
        return section
    arm = report.counterfactual.classifier_arm
    read = lambda name: pd.read_parquet(root / name)  # noqa: E731
    section.blocks.append(Block(
        heading="Inpainter domain test",
        text=f"AUC of the 2D classifier (prototypes arm '{arm}', p(fracture) = 1 - p(G0)) on the held-out test "
             "vertebrae: as they are, with random masks inpainted in healthy tissue (every repetition) and with the "
             "ground-truth fracture region inpainted. A faithful inpainter leaves the healthy-tissue AUC where it was "
             "and lowers p(fracture) of fractured vertebrae when their fracture is inpainted.",
        table=read("domain_summary.parquet"),
        figures=[report.fig(root / "domain_roc.png", "ROC curves of the three conditions, pooled over explained folds.",
                            page_dir)]))
    section.blocks.append(Block(
        heading="Localisation (paper Table 1)",
        text=f"Fractured vertebrae: our map (> {report.counterfactual.threshold}) and Grad-CAM / gradient saliency thresholded "
             "at percentiles inside the vertebral body, against the ground-truth fracture region (synthetic) or the "
             "body (real data). Hausdorff distance in mm (lower is better), weak localisation (share of target boxes "
             "found, higher is better), area relative to the body (smaller is a tighter map).",
        table=read("table1.parquet")))
    section.blocks.append(Block(heading="Paired Wilcoxon tests: ours against each baseline",
                                    table=read("wilcoxon.parquet")))
    section.blocks.append(Block(
        heading="Does deleting the map make the vertebra healthy?",
        text="Mean p(fracture) before and after inpainting each vertebra's own map, per grade.",
        table=read("effect_summary.parquet")))
    section.blocks.append(Block(
        heading="Sanity check (model randomisation) and speed",
        text="Rank correlation of maps before and after re-initialising the classifier's weights (near 0: the maps "
             "depend on what the classifier learned). Maps per second on the job's device.",
        table=read("sanity_summary.parquet")))
    section.blocks.append(Block(table=read("timing.parquet")))
    galleries = sorted(root.glob("fold*/gallery.png"))
    section.blocks.append(Block(heading="Gallery", figures=[
        report.fig(g, f"{g.parent.name}: fractured test vertebrae; original (red: true fracture region), map, "
                      "counterfactual, difference, with p(fracture) before and after.", page_dir) for g in galleries]))
    return section


def case_counterfactual(report, case, page_dir: Path, stem: str) -> Section:
    """The vertebra's counterfactual under its fold's networks, when that fold was explained."""
    section = Section("counterfactual", "Counterfactual healthy image and attribution map")
    root = report.inputs.counterfactual
    path = root / f"fold{case.fold}" / "maps.npz" if root is not None else None
    if path is None or not path.exists():
        folds = list(report.counterfactual.folds)
        section.empty = {"message": f"Fold {case.fold} was not explained (counterfactual.folds = {folds}) or the "
                                    "stage has not run."}
        return section
    arrays = np.load(path)
    for split in ("val", "test", "predict"):  # 'predict': a predict run's maps of new data
        if f"{split}_subject" not in arrays:
            continue
        match = np.nonzero((arrays[f"{split}_subject"] == case.subject) & (arrays[f"{split}_label"] == case.label))[0]
        if len(match):
            n = int(match[0])
            p0, p1 = float(arrays[f"{split}_p_original"][n]), float(arrays[f"{split}_p_counterfactual"][n])
            threshold = report.counterfactual.threshold
            case_panel(arrays[f"{split}_image"][n].astype(np.float32), arrays[f"{split}_map"][n].astype(np.float32),
                       arrays[f"{split}_counterfactual"][n].astype(np.float32),
                       arrays[f"{split}_gradcam"][n].astype(np.float32), arrays[f"{split}_target"][n], threshold,
                       f"p(fracture) {p0:.2f} -> {p1:.2f}", page_dir / f"{stem}_counterfactual.png")
            section.blocks.append(Block(
                text=f"The 2D classifier of fold {case.fold} gives p(fracture) {p0:.2f}; inpainting the attributed region "
                     f"as healthy tissue gives {p1:.2f}. The map marks what, once replaced by healthy tissue, makes the "
                     "classifier call the vertebra healthy.",
                figures=[Fig(f"{stem}_counterfactual.png", "Original (red: true fracture region), attribution map, "
                                 "counterfactual, difference and Grad-CAM for comparison.")]))
            return section
    section.empty = {"message": "This vertebra's grade is not one of the 2D classifier's classes (prototypes.grades), "
                                "so it was not explained."}
    return section
