"""The dataset: subjects, vertebrae, grades, folds and every exclusion with its reason."""

from __future__ import annotations

import pandas as pd

from spinexai.report.model import Block, Section, read


def dataset_section(report) -> Section:
    section = Section("dataset", "Dataset")
    if report.manifest is None:
        section.empty = {"message": "The data stage has not run: no manifest."}
        return section
    m, p = report.manifest, report.patches
    included = p[p["status"] == "included"] if p is not None else m[m["status"] == "included"]
    summary = pd.DataFrame({
        "": ["subjects", "vertebrae found", "vertebrae included (patches)", "fractured (included)",
             "vertebrae centred on mask centres (no centroid file)"],
        "count": [m["subject"].nunique(), len(m), len(included), int(included["fracture"].sum()),
                  int((m["centroid_source"] == "mask").sum()) if "centroid_source" in m else 0],
    })
    grades = included["grade"].map(lambda g: f"G{g}" if g >= 0 else "ungraded").value_counts().sort_index()
    section.blocks.append(Block(text=f"Dataset kind: {report.cfg.get('dataset', {}).get('kind', '?')}; fracture = "
                                     f"Genant grade >= {report.cfg.get('data', {}).get('fracture_min_grade', 1)}.",
                                table=summary))
    section.blocks.append(Block(heading="Included vertebrae by Genant grade",
                                table=grades.rename_axis("grade").reset_index(name="vertebrae")))
    folds = read(report.inputs.folds)
    if folds is not None:
        per_fold = folds.assign(fold=folds["fold"].map(lambda f: "test" if f < 0 else f"fold {f}")).groupby("fold").agg(
            subjects=("subject", "count"), vertebrae=("n_vertebrae", "sum"), fractures=("n_fractures", "sum"))
        section.blocks.append(Block(heading="Patient-level folds", table=per_fold.reset_index()))
    exclusions = read(report.inputs.exclusions)
    if exclusions is not None:
        counts = exclusions.groupby(["stage", "reason"]).size().reset_index(name="vertebrae")
        section.blocks.append(Block(
            heading="Exclusions", text="Every vertebra that was left out, with the reason (label -1: a whole subject).",
            table=counts.sort_values("vertebrae", ascending=False),
            details={"summary": f"all {len(exclusions)} exclusions",
                     "table": exclusions[["subject", "series", "label", "level", "stage", "reason", "file"]]}))
    return section
