"""One subject's explanations under the explained fold's models: per vertebra the dissection's unit
relevance, its figure and 3D map, and every 2D map, all on the source CT's voxel grid."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from spinexai.fracture3d.classifier import ClassifierParams
from spinexai.fracture3d.dissection.stage import explain_case
from spinexai.fracture3d.dissection.units import DissectionParams
from spinexai.io.atomic import write_figure
from spinexai.io.cards import load_card
from spinexai.io.nifti import write_image
from spinexai.io.tables import (
    CASE_OVERLAYS,
    CASE_RELEVANCE,
    DISSECTION_RESPONSES,
    DISSECTION_THRESHOLDS,
    UNIT_RANKING,
    read_table,
    write_table,
)
from spinexai.predict.trained import FoldModels, TrainedRun
from spinexai.report.overlays import case_maps, write_overlays

log = logging.getLogger(__name__)


def vertebra_dir(out_dir: str | Path, label: int) -> Path:
    """``<subject folder>/vert-<label>``: one vertebra's files."""
    return Path(out_dir) / f"vert-{label}"


def explain_subject(patches: pd.DataFrame, ct_path: str, subject: str, models: FoldModels, trained: TrainedRun,
                    dissection: DissectionParams, maps: dict[str, str | None], out_dir: str | Path) -> None:
    """Write every included vertebra's ``relevance.parquet``, ``concepts.png``, ``units_ct.nii.gz``,
    ``<method>_ct.nii.gz`` and ``overlays.parquet`` under ``out_dir/vert-<label>``."""
    rows = patches[(patches["subject"] == subject) & (patches["status"] == "included")]
    cls = ClassifierParams.from_dict(load_card(models.classifier3d)["params"])
    tables = None
    if models.dissection is not None:
        folder = models.dissection
        tables = (read_table(folder / "thresholds.parquet", DISSECTION_THRESHOLDS),
                  read_table(folder / "unit_ranking.parquet", UNIT_RANKING),
                  read_table(folder / "responses.parquet", DISSECTION_RESPONSES), trained.patches())
    for row in rows.itertuples():
        folder = vertebra_dir(out_dir, row.label)
        folder.mkdir(parents=True, exist_ok=True)
        if tables is not None:
            thresholds, ranking, responses, references = tables
            table, figure, overlays = explain_case(
                patches, subject, int(row.label), cls, dissection, models.classifier3d, thresholds, ranking, responses,
                ct_path, reference_patches=references)
            write_table(table, folder / "relevance.parquet", CASE_RELEVANCE)
            write_figure(figure, folder / "concepts.png")
            write_image(folder / "units_ct.nii.gz", *overlays["dissection"])
            write_image(folder / "gradcam3d_ct.nii.gz", *overlays["gradcam3d"])
        found, missing = case_maps(subject, int(row.label), maps.get("similarity"), maps.get("top3"),
                                   maps.get("counterfactual"))
        index = write_overlays(pd.Series(row._asdict()), ct_path, found, missing, folder)
        write_table(index.assign(subject=subject, label=int(row.label), fold=models.fold), folder / "overlays.parquet",
                    CASE_OVERLAYS)
        log.info("%s %s: %d maps on the CT grid%s", subject, row.level, len(found),
                 ", dissection" if tables is not None else "")
