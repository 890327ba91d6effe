"""The 3D fracture classifier (Engstler et al. 2022): Table 1, curves, per-fold metrics."""

from __future__ import annotations

from pathlib import Path

from spinexai.report.model import Block, Section, read


def classifier_section(report, page_dir: Path) -> Section:
    section = Section("classifier", "3D fracture classifier (Engstler et al. 2022)")
    table1 = read(report.inputs.table1)
    if table1 is None:
        section.empty = {"message": "The 3D classifier has not run: no results/classifier3d/table1.parquet."}
        return section
    wide = table1.assign(value=[f"{m:.3f} ± {s:.3f}" for m, s in zip(table1["mean"], table1["std"], strict=True)])
    wide = wide.pivot(index="metric", columns="split", values="value").reset_index()
    section.blocks.append(Block(text="Mean ± SD over the fold models: 'val' is each fold's own validation subjects, "
                                     "'test' the held-out subjects scored by every fold model.", table=wide))
    section.blocks.append(Block(figures=[report.fig(report.inputs.curves, "ROC and precision-recall curves of every "
                                                  "fold model on the held-out test subjects.", page_dir)]))
    by_fold = read(report.inputs.metrics_by_fold)
    if by_fold is not None:
        section.blocks.append(Block(heading="Per fold", table=by_fold))
    return section
