"""ProtoVerse (Sinhamahapatra et al. 2024): the paper's tables, tests, diversity, localisation, gallery."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from spinexai.report.model import Block, Link, Section, exists, read


def prototypes_section(report, page_dir: Path) -> Section:
    """ProtoVerse: paper-shaped tables, Wilcoxon tests, contributions, cosine, localisation, gallery, reader kit."""
    section = Section("prototypes", "ProtoVerse prototypes (Sinhamahapatra et al. 2024)")
    root = report.inputs.prototypes
    if root is None or not exists(root / "tables.parquet"):
        section.empty = {"message": "The prototype stage has not run: no results/prototypes/tables.parquet."}
        return section
    main = report.prototypes.main_arm
    tables = pd.read_parquet(root / "tables.parquet")
    cols = ["paper_table", "arm", "value", "class_accuracy_mean", "class_accuracy_std", "class_f1_mean",
            "class_f1_std", "sample_accuracy_mean", "sample_accuracy_std", "folds"]
    section.blocks.append(Block(
        text=f"Genant grades {list(report.prototypes.grades)} from the 2D reformation. Mean ± SD over folds of "
             "class-average accuracy, class-average F1 and sample accuracy; Table 1 scores the held-out test subjects "
             "with every fold model, Table 2 each fold's own validation subjects. Ablation tables list the arms that "
             "differ from the main arm in one setting.", table=tables[cols]))
    wilcoxon = read(root / "wilcoxon.parquet")
    if wilcoxon is not None and len(wilcoxon):
        section.blocks.append(Block(heading=f"Paired Wilcoxon tests over folds: {main} against the other arms",
                                    text="Exact two-sided p (at least 0.0625 with 5 folds) and one-sided p for "
                                         "'main is better' (the paper's 0.031 is one-sided).", table=wilcoxon))
    contributions = read(root / "contribution_matrix.parquet")
    if contributions is not None and len(contributions):
        wide = contributions[contributions["arm"] == main].pivot(index="grade", columns="prototype_grade",
                                                               values="contribution_mean")
        section.blocks.append(Block(heading="Contribution scores (Table 3): test grade (rows) x prototype grade (columns)",
                                    table=wide.rename(columns=lambda g: f"G{g} prototypes").reset_index()))
    cosine = read(root / "cosine_summary.parquet")
    if cosine is not None and len(cosine):
        section.blocks.append(Block(
            heading="Prototype diversity (Figure 3)",
            text="Mean cosine similarity of distinct same-grade prototype pairs (lower = more diverse) and of "
                 "different-grade pairs, per fold.",
            table=cosine.groupby("arm")[["intra_class_cosine", "inter_class_cosine"]].mean().reset_index(),
            figures=[report.fig(root / "cosine.png", "Cosine similarity between the prototype vectors of each arm "
                              "(one fold); blocks on the diagonal are the grades.", page_dir)]))
    localisation = read(root / "localisation.parquet")
    if localisation is not None and len(localisation):
        section.blocks.append(Block(
            heading="Do explanations point at the fracture? (synthetic ground truth)",
            text="Share of heatmap peaks of G2/G3 test vertebrae inside the true fracture region: each of the top-3 "
                 "prototypes, cases where 2 of 3 hit, and the baseline's Grad-CAM, Grad-CAM++ and XGradCAM for the "
                 "true grade.", table=localisation))
    galleries = sorted((root / main).glob("fold*/gallery.png"))
    section.blocks.append(Block(heading="Prototypes after projection", figures=[
        report.fig(galleries[0] if galleries else None, f"{main}, {galleries[0].parent.name if galleries else ''}: "
                 "each prototype's source training image with its similarity map and the box enclosing the top 2%.",
                 page_dir),
        report.fig(root / "class_weighting.png", "Cross-validation metrics per class weighting (Figure 7).", page_dir)]))
    kit = root / "reader_kit" / "index.html"
    if exists(kit):
        section.blocks.append(Block(heading="Reader study", text="One page per G2/G3 test case with its top-3 "
                                    "prototypes and the paper's two questions, and a CSV form per rater:",
                                    table=pd.DataFrame([{"kit": Link(report.rel(kit, page_dir), "open the reader kit")}])))
    return section
