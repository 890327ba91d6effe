"""The dissection stage as the rules run it: dissect a fold model, export its top units, explain cases."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from spinexai.data.tensors import HU_RANGE, load_patch_stack
from spinexai.data.vertebra import Vertebra
from spinexai.fracture3d.classifier import ClassifierParams, load_model, split_rows
from spinexai.fracture3d.dissection.concepts import CONCEPTS, ConceptParams, load_concepts
from spinexai.fracture3d.dissection.figures import UnitView, all_slices, case_figure, collage
from spinexai.fracture3d.dissection.gradcam import gradcam_3d
from spinexai.fracture3d.dissection.units import (
    RANK_COLUMN,
    RANKINGS,
    Dissection,
    DissectionParams,
    best_concepts,
    best_slice,
    concept_iou,
    dissect,
    dissection_maps,
    overlap_permutation_test,
    rank_units,
    unit_thresholds,
    unit_volume,
)
from spinexai.geometry.sheet import patch_to_ct
from spinexai.io.atomic import atomic_dir, write_figure
from spinexai.io.nifti import read_header, write_image
from spinexai.io.tables import UNIT_EXPORTS, write_table
from spinexai.labels import case_id
from spinexai.train import pick_device

log = logging.getLogger(__name__)
KEYS = ["subject", "label", "level", "grade", "fracture"]


@dataclass
class DissectionResult:
    """Tables of one fold's dissection (see io.tables for their schemas)."""

    rows: pd.DataFrame
    thresholds: pd.DataFrame
    responses: pd.DataFrame
    ranking: pd.DataFrame
    top_units: pd.DataFrame
    concepts: pd.DataFrame
    overlap: pd.DataFrame
    raw: Dissection
    exported_ranking: str
    model: torch.nn.Module  # kept for the exports
    inputs: torch.Tensor


def dissection_rows(patches: pd.DataFrame, folds: pd.DataFrame, fold: int, split: str) -> pd.DataFrame:
    parts = split_rows(patches, folds, fold)
    if split == "all":
        return pd.concat(parts.values(), ignore_index=True)
    return parts[split]


def _exported_ranking(ranking: pd.DataFrame, wanted: str) -> str:
    if ranking[RANK_COLUMN[wanted]].notna().any():
        return wanted
    log.warning("ranking '%s' is undefined on this set (no such predictions); exporting units by 'positive'", wanted)
    return "positive"


def run_dissection(patches: pd.DataFrame, folds: pd.DataFrame, fold: int, cls: ClassifierParams,
                   params: DissectionParams, model_path: str | Path) -> DissectionResult:
    """Both dissection passes over the fold's dissection set, with rankings and concept IoU."""
    device = pick_device(cls.device)
    model = load_model(model_path, cls, device)
    rows = dissection_rows(patches, folds, fold, params.split).reset_index(drop=True)
    if rows.empty:
        raise ValueError(f"fold {fold}: the dissection split '{params.split}' is empty")
    x = load_patch_stack(rows["ct_patch"].tolist(), crop=cls.crop, size=cls.input_size, device=device)
    log.info("fold %d: dissecting %d vertebrae (%d fractured) of split '%s' on %s", fold, len(rows),
             int(rows["fracture"].sum()), params.split, device)
    thresholds = unit_thresholds(model, x, params.quantile, params.batch_size)
    concept_params = ConceptParams(params.endplate_mm, params.disc_mm)
    loaded = [load_concepts(r, int(r["label"]), cls.crop, cls.input_size, concept_params) for _, r in rows.iterrows()]
    concepts = torch.stack([c for c, _ in loaded])
    available = np.stack([a for _, a in loaded])
    raw = dissect(model, x, thresholds, params.batch_size, concepts, available, params.unit_chunk)

    prediction = raw.probability >= cls.threshold
    k = len(thresholds)
    n_values = len(rows) * int(np.prod([cls.input_size // 8] * 3))
    thr = pd.DataFrame({"unit": np.arange(k), "threshold": thresholds, "quantile": params.quantile, "n_values": n_values})
    responses = pd.DataFrame({
        **{key: np.repeat(rows[key].to_numpy(), k) for key in KEYS},
        "probability": np.repeat(raw.probability, k), "prediction": np.repeat(prediction, k),
        "unit": np.tile(np.arange(k), len(rows)), "enabled": raw.enabled.ravel(),
        "relevance": raw.relevance.ravel(), "peak": raw.peak.ravel(),
    })
    iou = concept_iou(raw, CONCEPTS)
    ranking = rank_units(raw.enabled, rows["fracture"].to_numpy(bool), prediction)
    ranking.insert(1, "threshold", thresholds)
    ranking = ranking.merge(best_concepts(iou), on="unit", how="left")
    fx = iou[(iou["concept"] == "fracture") & (iou["n_samples"] > 0)].set_index("unit")["iou"]
    ranking["fracture_iou"] = ranking["unit"].map(fx).astype(float)

    top, overlap = [], []
    for name in RANKINGS:
        column = RANK_COLUMN[name]
        if ranking[column].isna().all():
            continue
        best = ranking.sort_values(f"rank_{name}").head(params.top_units)
        top.append(pd.DataFrame({"ranking": name, "rank": best[f"rank_{name}"], "unit": best["unit"],
                                 "value": best[column], "best_concept": best["best_concept"],
                                 "best_iou": best["best_iou"], "fracture_iou": best["fracture_iou"]}))
        if len(fx):
            values = ranking["fracture_iou"].fillna(0.0).to_numpy()
            chosen = best["unit"].to_numpy()
            mean, null, p = overlap_permutation_test(values, chosen, params.permutations, params.seed)
            overlap.append({"ranking": name, "n_units": len(chosen), "mean_iou": mean, "null_mean_iou": null,
                            "p_value": p, "n_above_median": int((values[chosen] > np.median(values)).sum()),
                            "n_above_p95": int((values[chosen] > np.quantile(values, 0.95)).sum())})
    top_units = pd.concat(top, ignore_index=True) if top else pd.DataFrame(columns=["ranking"])
    return DissectionResult(rows, thr, responses, ranking, top_units, iou,
                            pd.DataFrame(overlap, columns=["ranking", "n_units", "mean_iou", "null_mean_iou",
                                                           "p_value", "n_above_median", "n_above_p95"]),
                            raw, _exported_ranking(ranking, params.rank_by), model, x)


def _caption(row: pd.Series, extra: str = "") -> str:
    grade = f"G{row['grade']}" if row["grade"] >= 0 else "G?"
    return f"{row['subject']} {row['level']} {grade}{extra}"


def _to_hu(x: torch.Tensor) -> np.ndarray:
    lo, hi = HU_RANGE
    return (x.float().cpu().numpy() * (hi - lo) + lo).astype(np.float32)


def export_units(result: DissectionResult, cls: ClassifierParams, params: DissectionParams,
                 out_dir: str | Path) -> pd.DataFrame:
    """Collages, all-slice views and NIfTI volumes of the top units of the exported ranking."""
    rows, raw, model, x = result.rows, result.raw, result.model, result.inputs
    name = result.exported_ranking
    units = result.ranking.sort_values(f"rank_{name}").head(params.top_units)
    positives = np.flatnonzero(rows["fracture"].to_numpy(bool))
    records = []
    with atomic_dir(out_dir) as staging:
        for _, unit_row in units.iterrows():
            unit, rank, threshold = int(unit_row["unit"]), int(unit_row[f"rank_{name}"]), float(unit_row["threshold"])
            order = positives[np.argsort(-raw.peak[positives, unit], kind="stable")][:params.collage]
            views = []
            for i in order:
                act = unit_volume(model, x[i], unit)
                views.append(UnitView(x[i, 0].float().cpu().numpy(), act, threshold,
                                      _caption(rows.iloc[i], f" r={raw.relevance[i, unit]:.3g}"),
                                      best_slice(act, threshold)))
            stem = f"unit-{unit:03d}"
            concept = unit_row["best_concept"] if isinstance(unit_row["best_concept"], str) else ""
            title = (f"unit {unit} (rank {rank} by {name}; c = {unit_row[RANK_COLUMN[name]]:.2f}; "
                     f"concept {concept or '-'} IoU {unit_row['best_iou']:.2f})")
            write_figure(collage(views, title), staging / f"{stem}_collage.png")
            records.append({"unit": unit, "rank": rank, "sample_rank": 0, "subject": "", "label": -1, "slice": -1,
                            "kind": "collage", "file": f"{stem}_collage.png"})
            for j, (i, view) in enumerate(zip(order[:params.top_samples], views, strict=False), start=1):
                row = rows.iloc[i]
                sample = f"{stem}_top{j}_{case_id(row['subject'], row['label'])}"
                write_figure(all_slices(view, f"unit {unit}: {view.caption}"), staging / f"{sample}_slices.png", dpi=90)
                affine = Vertebra(row).patch_input_affine(cls.crop, cls.input_size)
                files = {"slices": f"{sample}_slices.png", "ct": f"{sample}_ct.nii.gz",
                         "activation": f"{sample}_activation.nii.gz", "mask": f"{sample}_mask.nii.gz"}
                write_image(staging / files["ct"], _to_hu(x[i, 0]), affine)
                write_image(staging / files["activation"], view.activation.astype(np.float32), affine)
                write_image(staging / files["mask"], (view.activation > threshold).astype(np.uint8), affine, label=True)
                for kind, file in files.items():
                    records.append({"unit": unit, "rank": rank, "sample_rank": j, "subject": row["subject"],
                                    "label": int(row["label"]), "slice": int(view.slice_index), "kind": kind,
                                    "file": file})
        exports = pd.DataFrame(records, columns=UNIT_EXPORTS.names)
        write_table(exports, staging / "exports.parquet", UNIT_EXPORTS)
    return exports


def explain_case(patches: pd.DataFrame, subject: str, label: int, cls: ClassifierParams, params: DissectionParams,
                 model_path: str | Path, thresholds: pd.DataFrame, ranking: pd.DataFrame,
                 responses: pd.DataFrame, ct_path: str | Path, reference_patches: pd.DataFrame | None = None
                 ) -> tuple[pd.DataFrame, object, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """r_k ranking of one case, the figure of its most relevant units beside their top dataset images, and
    the case's 3D maps on the grid of the source CT ``ct_path`` as (volume, CT affine): the dissection's
    (``dissection_maps``) and Grad-CAM's.
    ``reference_patches``: the patches table the dissection set's images come from (default ``patches``; a
    predict run passes the trained run's)."""
    device = pick_device(cls.device)
    model = load_model(model_path, cls, device)
    match = patches[(patches["subject"] == subject) & (patches["label"] == label) & (patches["status"] == "included")]
    if match.empty:
        raise ValueError(f"vertebra {label} of subject {subject} is not an included patch")
    case = match.iloc[0]
    x = load_patch_stack([case["ct_patch"]], crop=cls.crop, size=cls.input_size, device=device)
    t = thresholds.sort_values("unit")["threshold"].to_numpy()
    raw = dissect(model, x, t, 1)
    relevance = raw.relevance[0]
    order = np.lexsort((np.arange(len(t)), -relevance))
    rank = np.empty(len(t), dtype=np.int64)
    rank[order] = np.arange(1, len(t) + 1)
    table = pd.DataFrame({"unit": np.arange(len(t)), "relevance": relevance, "rank": rank, "enabled": raw.enabled[0]})
    table = table.merge(ranking[["unit", "rank_tp", "best_concept", "best_iou"]], on="unit", how="left")
    table = table.sort_values("rank").reset_index(drop=True)

    chosen = table[table["enabled"]].head(params.case_units)
    if chosen.empty:
        chosen = table.head(params.case_units)
    case_views, references = [], []
    positives = responses[responses["fracture"]]
    for _, unit_row in chosen.iterrows():
        unit = int(unit_row["unit"])
        act = unit_volume(model, x[0], unit)
        concept = unit_row["best_concept"] if isinstance(unit_row["best_concept"], str) else "-"
        case_views.append(UnitView(x[0, 0].float().cpu().numpy(), act, float(t[unit]),
                                   f"unit {unit} ({concept}) r={unit_row['relevance']:.3g}", best_slice(act, t[unit])))
        best = positives[positives["unit"] == unit].sort_values("peak", ascending=False).head(3)
        refs = []
        for _, ref in best.iterrows():
            refs_table = patches if reference_patches is None else reference_patches
            ref_row = refs_table[(refs_table["subject"] == ref["subject"]) & (refs_table["label"] == ref["label"])].iloc[0]
            xr = load_patch_stack([ref_row["ct_patch"]], crop=cls.crop, size=cls.input_size, device=device)
            ract = unit_volume(model, xr[0], unit)
            refs.append(UnitView(xr[0, 0].float().cpu().numpy(), ract, float(t[unit]), _caption(ref_row),
                                 best_slice(ract, t[unit])))
        references.append(refs)
    grade = f"G{case['grade']}" if case["grade"] >= 0 else "grade unknown"
    title = (f"{subject} {case['level']} ({grade}), p(fracture) = {raw.probability[0]:.2f}: most relevant units "
             "(left) and their top fractured samples in the dissection set")
    overlays = {"dissection": case_overlay(model, x, t, case, ct_path, cls, params),
                "gradcam3d": gradcam_overlay(model, x, case, ct_path, cls)}
    return table, case_figure(case_views, references, title), overlays


def _on_ct(volume: np.ndarray, case: pd.Series, ct_path: str | Path, cls: ClassifierParams) -> tuple[np.ndarray, np.ndarray]:
    grid = Vertebra(case).patch_input_affine(cls.crop, cls.input_size)
    ct = read_header(ct_path)
    return patch_to_ct(volume, grid, ct), ct.affine


def case_overlay(model: torch.nn.Module, x: torch.Tensor, thresholds: np.ndarray, case: pd.Series, ct_path: str | Path,
                 cls: ClassifierParams, params: DissectionParams) -> tuple[np.ndarray, np.ndarray]:
    """The r_k-weighted map of the case's ``case_units`` most relevant units, resampled from the
    classifier's input grid onto the source CT's voxel grid (same shape and affine as the CT)."""
    maps, _ = dissection_maps(model, x, thresholds, params.case_units, 1)
    return _on_ct(maps[0].cpu().numpy(), case, ct_path, cls)


def gradcam_overlay(model: torch.nn.Module, x: torch.Tensor, case: pd.Series, ct_path: str | Path,
                    cls: ClassifierParams) -> tuple[np.ndarray, np.ndarray]:
    """The case's 3D Grad-CAM on the source CT's voxel grid (the reference map beside the dissection's)."""
    with torch.enable_grad():
        cam = gradcam_3d(model, x, 1)
    return _on_ct(cam[0].cpu().numpy(), case, ct_path, cls)


def concepts_figure(top_units: pd.DataFrame, ranking: str) -> Figure:
    """Per fold, how many of its top units (by ``ranking``) have each concept as their best label."""
    rows = top_units[top_units["ranking"] == ranking]
    folds = sorted(rows["fold"].unique())
    counts = np.zeros((len(folds), len(CONCEPTS)))
    for i, fold in enumerate(folds):
        labels = rows.loc[rows["fold"] == fold, "best_concept"]
        for j, name in enumerate(CONCEPTS):
            counts[i, j] = int((labels == name).sum())
    fig = Figure(figsize=(8, 1.2 + 0.45 * max(1, len(folds))))
    ax = fig.subplots()
    image = ax.imshow(counts, cmap="Blues", aspect="auto", vmin=0)
    for (i, j), value in np.ndenumerate(counts):
        ax.text(j, i, f"{value:.0f}", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(CONCEPTS)), [c.replace("_", " ") for c in CONCEPTS], rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(folds)), [f"fold {f}" for f in folds], fontsize=8)
    ax.set_title(f"best concept of each fold's top units (ranking: {ranking})", fontsize=9)
    fig.colorbar(image, ax=ax, label="units")
    fig.tight_layout()
    return fig
