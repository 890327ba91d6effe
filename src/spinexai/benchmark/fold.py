"""One fold of the benchmark: every method's maps on the held-out test vertebrae with a true fracture
region, the reference maps, and their scores, on the grid each map lives in."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from spinexai.benchmark.grids import Grid, extent_mm, model_grid, patch_region
from spinexai.benchmark.maps2d import (
    cam_maps,
    captum_maps,
    counterfactual_maps,
    explained_class,
    prototype_maps,
    upsample_bilinear,
)
from spinexai.benchmark.metrics import METRICS, score_map
from spinexai.benchmark.references import centre_prior, random_map, vertebra_seed
from spinexai.config import ConfigSection
from spinexai.counterfactual.models import build_attribution, load_classifier
from spinexai.counterfactual.params import CounterfactualParams
from spinexai.data.images2d import image_set
from spinexai.data.regions import downsample_mask
from spinexai.data.tensors import load_patch_stack
from spinexai.data.vertebra import vertebrae
from spinexai.fracture3d.classifier import ClassifierParams, load_model
from spinexai.fracture3d.dissection.gradcam import gradcam_3d
from spinexai.fracture3d.dissection.units import DissectionParams, dissection_maps
from spinexai.geometry.reformat import ReformatParams
from spinexai.io.atomic import write_npz
from spinexai.io.nifti import read_labels
from spinexai.prototypes.network import build_model
from spinexai.prototypes.params import ProtoParams
from spinexai.train import pick_device
from spinexai.train.saving import load_into

log = logging.getLogger(__name__)
REFERENCES = ("centre_prior", "random")
KEYS = ["subject", "label", "level", "grade"]


@dataclass(frozen=True)
class BenchmarkParams(ConfigSection):
    """The ``benchmark:`` section of the config."""

    protoverse_arm: str = "protoverse"
    protopnet_arm: str = "protopnet"
    grades: tuple[int, ...] = (1, 2, 3)
    pointing_mm: float = 2.0
    ig_steps: int = 32
    occlusion_fraction: float = 0.125
    batch_size: int = 16
    seed: int = 0
    gallery_method_columns: int = 6
    device: str = "auto"


@dataclass
class FoldModels:
    """The trained networks of one fold, with the config each was built from."""

    classifier3d: dict
    classifier3d_path: str
    dissection: dict
    thresholds_path: str
    arms: dict[str, tuple[dict, str]]                 # "baseline", "protoverse", "protopnet" -> (arm params, model)
    counterfactual: tuple[dict, str] | None = None    # (counterfactual section, attribution model)


@dataclass
class GridMaps:
    """Every method's maps of the benchmark vertebrae on one grid."""

    grid: Grid
    rows: pd.DataFrame
    regions: np.ndarray                              # (N, *shape) bool
    body_mm: np.ndarray                              # (N,) body height
    affines: np.ndarray | None = None                # (N, 4, 4) world affine of each vertebra's grid
    sources: np.ndarray | None = None                # (N,) the native region file each region came from
    maps: dict[str, np.ndarray] = field(default_factory=dict)   # method -> (N, *shape) float32


def benchmark_rows(patches: pd.DataFrame, folds: pd.DataFrame, grades) -> pd.DataFrame:
    """Included held-out test vertebrae of the given grades that have a ground-truth fracture region."""
    test = set(folds.loc[folds["split"] == "test", "subject"])
    rows = patches[(patches["status"] == "included") & patches["subject"].isin(test)
                   & patches["grade"].isin([int(g) for g in grades])]
    rows = rows[(rows["sag_fracture"].fillna("") != "") & (rows["fracture_patch"].fillna("") != "")]
    return rows.sort_values(["subject", "label"]).reset_index(drop=True)


def _own(path: str, label: int) -> np.ndarray:
    return read_labels(path)[0] == label


def _body(row, body_key: str, mask_key: str) -> np.ndarray:
    """The vertebral body of ``row`` (the whole vertebra where no body mask exists)."""
    path = getattr(row, body_key, "") or getattr(row, mask_key)
    body = _own(path, row.label)
    return body if body.any() else _own(getattr(row, mask_key), row.label)


def sagittal_grid(rows: pd.DataFrame, size: int, reformat: ReformatParams) -> GridMaps:
    """The 2D models' input grid, the regions on it and the body heights (along the reformation's rows)."""
    native = (reformat.sagittal_size,) * 2
    spacing = (reformat.sagittal_spacing_mm,) * 2
    grid = model_grid("2d", native, spacing, size)
    regions = np.stack([downsample_mask(_own(r.sag_fracture, r.label)[..., 0], grid.shape) for r in rows.itertuples()])
    body = np.array([extent_mm(_body(r, "sag_body", "sag_mask")[..., 0], 0, spacing[0]) for r in rows.itertuples()])
    # The reformation's affine is its tangent plane at the centre: exact along the centre row, approximate
    # elsewhere on the curved sheet.
    affines = np.stack([v.sagittal_input_affine(size) for v in vertebrae(rows)])
    return GridMaps(grid, rows, regions, body, affines, rows["sag_fracture"].to_numpy(str))


def patch_grid(rows: pd.DataFrame, cls: ClassifierParams, reformat: ReformatParams) -> GridMaps:
    """The 3D classifier's input grid (centre crop, area-reduced), the regions on it and the body heights."""
    spacing = (reformat.patch_spacing_mm,) * 3
    grid = model_grid("3d", (cls.crop,) * 3, spacing, cls.input_size)
    regions = np.stack([patch_region(_own(r.fracture_patch, r.label), cls.crop, cls.input_size) for r in rows.itertuples()])
    body = np.array([extent_mm(_body(r, "body_patch", "mask_patch"), 0, spacing[0]) for r in rows.itertuples()])
    affines = np.stack([v.patch_input_affine(cls.crop, cls.input_size) for v in vertebrae(rows)])
    return GridMaps(grid, rows, regions, body, affines, rows["fracture_patch"].to_numpy(str))


def _numpy(maps: torch.Tensor, size: int) -> np.ndarray:
    if maps.shape[-1] != size:
        maps = upsample_bilinear(maps, size)
    return maps.detach().float().cpu().numpy().astype(np.float32)


def maps_2d(target: GridMaps, models: FoldModels, bench: BenchmarkParams, device: torch.device) -> None:
    """Baseline CAMs and Captum maps, prototype heatmaps per prototype arm, the counterfactual map."""
    rows, size = target.rows, target.grid.shape[0]
    for name, (arm, path) in models.arms.items():
        params = ProtoParams.from_dict(arm)
        rows = rows.assign(target=[explained_class(int(g), params.grades) for g in target.rows["grade"]])
        data = image_set(rows, params, device)
        model = load_into(build_model(params), path, device)
        if name == "baseline":
            window = max(1, round(bench.occlusion_fraction * params.input_size))
            produced = cam_maps(model, data.x, data.y, bench.batch_size)
            produced |= captum_maps(model, data.x, data.y, bench.batch_size, bench.ig_steps, window)
            if models.counterfactual is not None:
                cf, cf_path = models.counterfactual
                frozen = load_classifier(params, path, device)
                net = load_into(build_attribution(frozen, CounterfactualParams.from_dict(cf)), cf_path, device)
                produced["counterfactual"] = counterfactual_maps(net, data.x, bench.batch_size)
        else:
            produced = {f"{name}_{k}": v for k, v in prototype_maps(model, data.x, data.y, bench.batch_size).items()}
        target.maps |= {k: _numpy(v, size) for k, v in produced.items()}


def maps_3d(target: GridMaps, models: FoldModels, bench: BenchmarkParams, device: torch.device) -> None:
    """3D Grad-CAM and the dissection's r_k-weighted map of the case's most relevant units."""
    cls = ClassifierParams.from_dict(models.classifier3d)
    dis = DissectionParams.from_dict(models.dissection)
    model = load_model(models.classifier3d_path, cls, device)
    x = load_patch_stack(target.rows["ct_patch"].tolist(), crop=cls.crop, size=cls.input_size, device=device)
    thresholds = pd.read_parquet(models.thresholds_path).sort_values("unit")["threshold"].to_numpy()
    dissection, _ = dissection_maps(model, x, thresholds, dis.case_units, bench.batch_size)
    target.maps["gradcam_3d"] = gradcam_3d(model, x, bench.batch_size).cpu().numpy().astype(np.float32)
    target.maps["dissection"] = dissection.cpu().numpy().astype(np.float32)


def add_references(target: GridMaps, seed: int) -> None:
    """The centre prior and the random map of every vertebra."""
    target.maps["centre_prior"] = np.stack([centre_prior(target.grid, h) for h in target.body_mm]).astype(np.float32)
    target.maps["random"] = np.stack([random_map(target.grid.shape, vertebra_seed(seed, r.subject, int(r.label)))
                                      for r in target.rows.itertuples()]).astype(np.float32)


def score_grid(target: GridMaps, fold: int, tolerance_mm: float) -> pd.DataFrame:
    """One row per vertebra (with a region left on this grid) and method."""
    out = []
    keep = target.regions.reshape(len(target.rows), -1).any(1)
    if not keep.all():
        log.info("%s grid: %d of %d vertebrae lose their region at %s voxels", target.grid.name, int((~keep).sum()),
                 len(keep), "x".join(map(str, target.grid.shape)))
    for method, maps in target.maps.items():
        for n in np.flatnonzero(keep):
            row = target.rows.iloc[n]
            scores = score_map(maps[n], target.regions[n], target.grid.spacing, tolerance_mm)
            out.append({**{k: row[k] for k in KEYS}, "group": "G1" if row["grade"] == 1 else "G2-G3", "fold": fold,
                        "method": method, "grid": target.grid.name, "grid_size": target.grid.shape[0],
                        "spacing_mm": float(np.mean(target.grid.spacing)), "region_pixels": int(target.regions[n].sum()),
                        **scores})
    columns = [*KEYS, "group", "fold", "method", "grid", "grid_size", "spacing_mm", "region_pixels", *METRICS, "empty"]
    return pd.DataFrame(out, columns=columns)


def benchmark_fold(patches: pd.DataFrame, folds: pd.DataFrame, fold: int, models: FoldModels, bench: BenchmarkParams,
                   reformat: ReformatParams) -> tuple[pd.DataFrame, list[GridMaps]]:
    """Scores of every method on this fold's models, and the maps per grid (``reformat``: the native
    grids the patches and reformations were written on)."""
    device = pick_device(bench.device)
    rows = benchmark_rows(patches, folds, bench.grades)
    if rows.empty:
        log.warning("fold %d: no held-out test vertebra of grades %s has a fracture region", fold, list(bench.grades))
        return score_grid(GridMaps(Grid("2d", (1, 1), (1.0, 1.0), (0.0, 0.0)), rows, np.zeros((0, 1, 1), bool),
                                   np.zeros(0)), fold, bench.pointing_mm), []
    size = ProtoParams.from_dict(models.arms["baseline"][0]).input_size
    grids = [sagittal_grid(rows, size, reformat),
             patch_grid(rows, ClassifierParams.from_dict(models.classifier3d), reformat)]
    log.info("fold %d: %d vertebrae, 2D grid %s, 3D grid %s on %s", fold, len(rows), grids[0].grid.shape,
             grids[1].grid.shape, device)
    maps_2d(grids[0], models, bench, device)
    maps_3d(grids[1], models, bench, device)
    for target in grids:
        add_references(target, bench.seed)
    scores = pd.concat([score_grid(g, fold, bench.pointing_mm) for g in grids], ignore_index=True)
    return scores, grids


def save_maps(target: GridMaps | None, fold: int, path: str | Path) -> None:
    """The grid's maps with what is needed to score them again: subject, label, grade, fold, spacing,
    the vertebra centre, the region on the grid, each vertebra's grid affine (world mm of every map
    voxel) and the native region file; one array per method, named after it."""
    if target is None:
        arrays = {"subject": np.zeros(0, str), "label": np.zeros(0, np.int64), "methods": np.zeros(0, str)}
    else:
        arrays = {"subject": target.rows["subject"].to_numpy(str), "label": target.rows["label"].to_numpy(np.int64),
                  "grade": target.rows["grade"].to_numpy(np.int64), "fold": np.array(fold),
                  "grid": np.array(target.grid.name), "spacing": np.asarray(target.grid.spacing),
                  "centre": np.asarray(target.grid.centre), "region": target.regions,
                  "affine": target.affines, "source": target.sources,
                  "methods": np.array(sorted(target.maps), dtype=str)}
        arrays |= {f"map_{name}": maps for name, maps in target.maps.items()}
    write_npz(path, arrays)
