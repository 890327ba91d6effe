"""Network dissection (Engstler et al. 2022): concepts, fracture overlap, each fold's top units."""

from __future__ import annotations

from pathlib import Path

from spinexai.report.model import Block, Link, Section, exists, read


def dissection_section(report, page_dir: Path) -> Section:
    section = Section("dissection", "Network dissection (Engstler et al. 2022)")
    root = report.inputs.dissection
    if not exists(root) or not exists(root / "top_units.parquet"):
        section.empty = {"message": "Network dissection has not run: no results/dissection/top_units.parquet."}
        return section
    params = report.dissection
    ranking = params.rank_by
    section.blocks.append(Block(
        text=f"Units of the last encoder block, thresholded at their top {params.quantile:.3%} activation "
             f"over the '{params.split}' split. c_k is the fraction of samples of a set (true positives, "
             "positives, false positives) that enable a unit; concept labels are the anatomical region each unit's "
             "above-threshold region overlaps most (IoU).",
        figures=[report.fig(root / "concepts.png", "Best concept of each fold's top units: which anatomy the "
                                                 "units most correlated with the diagnosis look at.", page_dir)]))
    overlap = read(root / "fracture_overlap.parquet")
    if overlap is not None and len(overlap):
        section.blocks.append(Block(heading="Do top units look at the fracture? (synthetic ground truth)",
                                    text="Mean IoU of each ranking's top units with the true fracture region against "
                                         "random sets of as many units (one-sided permutation p-value).",
                                    table=overlap))
    for fold_dir in sorted(root.glob("fold*")):
        tops = read(fold_dir / "top_units.parquet")
        exports = read(fold_dir / "units" / "exports.parquet")
        if tops is None:
            continue
        shown = tops[tops["ranking"] == (ranking if (tops["ranking"] == ranking).any() else "positive")].copy()
        collages = {} if exports is None else dict(
            zip(exports.loc[exports["kind"] == "collage", "unit"], exports.loc[exports["kind"] == "collage", "file"],
                strict=True))
        shown["collage"] = [Link(report.rel(fold_dir / "units" / collages[u], page_dir), f"unit {u}") if u in collages
                            else "" for u in shown["unit"]]
        figs = [report.fig(fold_dir / "units" / collages[u], f"{fold_dir.name}, unit {u}: its 25 most activating "
                         "fractured samples (activation in colour, above-threshold region outlined).", page_dir,
                         width="32rem") for u in list(shown["unit"])[:2] if u in collages]
        section.blocks.append(Block(heading=f"{fold_dir.name}: top units by {shown['ranking'].iloc[0] if len(shown) else ranking}",
                                    table=shown.drop(columns=["ranking"]), figures=figs))
    return section
