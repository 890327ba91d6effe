"""Evaluation of one fold and arm: predictions and metrics on validation and test, and for prototype
models the projection gallery, per-case top-3 prototypes with contributions, the contribution matrix,
the prototype cosine similarities and the similarity maps; for the baseline, Grad-CAM, Grad-CAM++ and
XGradCAM. On data with a ground-truth fracture region, every explanation's peak is checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from spinexai.data.folds import fold_parts
from spinexai.data.images2d import ImageSet, image_set
from spinexai.data.regions import fracture_regions, region_masks
from spinexai.metrics import multiclass_metrics
from spinexai.prototypes.cams import class_activation_maps
from spinexai.prototypes.network import PrototypeNet, build_model, log_similarity
from spinexai.prototypes.params import ProtoParams
from spinexai.prototypes.projection import latent_batched, nearest_own_patches, top_box, upsampled_similarity
from spinexai.prototypes.train import predict
from spinexai.train import pick_device
from spinexai.train.saving import load_into

TOP_K = 3


@dataclass
class Evaluation:
    predictions: pd.DataFrame
    metrics: pd.DataFrame
    projection: pd.DataFrame = field(default_factory=pd.DataFrame)
    top: pd.DataFrame = field(default_factory=pd.DataFrame)
    contributions: pd.DataFrame = field(default_factory=pd.DataFrame)
    cosine: pd.DataFrame = field(default_factory=pd.DataFrame)
    localisation: pd.DataFrame = field(default_factory=pd.DataFrame)
    maps: dict[str, np.ndarray] = field(default_factory=dict)   # similarity maps for the report and reader kit


def _peak(map2d: np.ndarray) -> tuple[int, int]:
    r, c = np.unravel_index(int(np.argmax(map2d)), map2d.shape)
    return int(r), int(c)


def grade_predictions(data: ImageSet, probs: torch.Tensor, params: ProtoParams, fold: int, arm: str, split: str) -> pd.DataFrame:
    frame = data.rows[["subject", "label", "level", "grade", "target"]].copy()
    p = probs.cpu().numpy()
    for g in range(4):
        frame[f"p_grade{g}"] = p[:, params.grades.index(g)] if g in params.grades else np.nan
    frame["predicted_grade"] = [params.grades[i] for i in p.argmax(1)]
    return frame.assign(fold=fold, arm=arm, split=split)


@torch.no_grad()
def prototype_outputs(model: PrototypeNet, data: ImageSet, params: ProtoParams, split: str,
                       regions: np.ndarray, bodies: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Top-k prototypes per case, contributions per prototype class and the (N, P, h, w) similarity maps."""
    z = latent_batched(model, data.x, params.batch_size)
    maps = model.distances(z)                                     # (N, P, h, w)
    similarity = log_similarity(maps.flatten(2).amin(-1))         # (N, P)
    weight = model.last_layer.weight.float()                      # (classes, P)
    logits = similarity @ weight.T
    pred = logits.argmax(-1)
    top, contrib = [], []
    proto_class = model.prototype_class.cpu().numpy()
    for n, row in enumerate(data.rows.itertuples()):
        sims = similarity[n].cpu().numpy()
        to_pred = (similarity[n] * weight[pred[n]]).cpu().numpy()
        to_true = (similarity[n] * weight[int(row.target)]).cpu().numpy()
        for k, j in enumerate(np.argsort(-sims, kind="stable")[:TOP_K]):
            up = upsampled_similarity(maps[n, j], params.input_size)
            r, c = _peak(up)
            hit = float(regions[n, r, c]) if regions[n].any() else float("nan")
            in_body = float(bodies[n, r, c]) if bodies[n].any() else float("nan")
            top.append({"subject": row.subject, "label": row.label, "split": split, "rank": k + 1, "prototype": int(j),
                        "prototype_grade": params.grades[proto_class[j]], "similarity": float(sims[j]),
                        "contribution": float(to_pred[j]), "peak_row": r, "peak_col": c, "peak_in_fracture": hit, "peak_in_body": in_body})
        for cls in range(params.n_classes):
            contrib.append({"subject": row.subject, "label": row.label, "split": split, "grade": row.grade,
                            "prototype_grade": params.grades[cls], "contribution": float(to_true[proto_class == cls].sum())})
    return pd.DataFrame(top), pd.DataFrame(contrib), pred.cpu().numpy(), log_similarity(maps).cpu().numpy()


def _cosine(model: PrototypeNet, params: ProtoParams) -> pd.DataFrame:
    p = F.normalize(model.prototypes.detach().flatten(1).float(), dim=1)
    cos = (p @ p.T).cpu().numpy()
    cls = model.prototype_class.cpu().numpy()
    return pd.DataFrame([{"prototype_a": a, "prototype_b": b, "grade_a": params.grades[cls[a]], "grade_b": params.grades[cls[b]],
                          "cosine": float(cos[a, b])} for a in range(len(cls)) for b in range(len(cls))])


@torch.no_grad()
def _projection(model: PrototypeNet, train: ImageSet, params: ProtoParams) -> tuple[pd.DataFrame, np.ndarray]:
    """Each prototype's nearest same-class training patch (after training it is the patch it was pushed
    onto, at distance ~0), with the box enclosing the top of the upsampled similarity map."""
    z = latent_batched(model, train.x, params.batch_size)
    rows, sims = [], []
    for j, (index, r, c, d) in nearest_own_patches(model, z, train.y).items():
        cls = int(model.prototype_class[j])
        up = upsampled_similarity(d, params.input_size)
        box = top_box(up, params.top_fraction)
        source = train.rows.iloc[index]
        rows.append({"prototype": j, "prototype_grade": params.grades[cls], "subject": source.subject,
                     "label": int(source.label), "level": source.level, "latent_row": r, "latent_col": c,
                     "distance": float(d[r, c]), "box_row0": box[0], "box_row1": box[1], "box_col0": box[2],
                     "box_col1": box[3], "image_index": len(sims)})
        sims.append(np.stack([train.x[index, -2].float().cpu().numpy(), up]))
    return pd.DataFrame(rows), (np.stack(sims) if sims else np.zeros((0, 2, params.input_size, params.input_size)))


def evaluate_prototype_fold(rows: pd.DataFrame, folds: pd.DataFrame, fold: int, arm: str, params: ProtoParams,
                            model_path: str | Path) -> Evaluation:
    """Everything the summary, the report and the reader kit need from one trained fold of one arm."""
    device = pick_device(params.device)
    model = load_into(build_model(params), model_path, device)
    parts = fold_parts(rows, folds, fold)
    preds, metrics, tops, contribs, locs = [], [], [], [], []
    maps: dict[str, np.ndarray] = {}
    settings = params.settings()
    for split in ("val", "test"):
        data = image_set(parts[split], params, device)
        if not len(data.y):
            continue
        probs = predict(model, data.x, params.batch_size)
        preds.append(grade_predictions(data, probs, params, fold, arm, split))
        metrics.append({"fold": fold, "arm": arm, "split": split, **settings,
                        **multiclass_metrics(data.y.cpu().numpy(), probs.argmax(-1).cpu().numpy())})
        regions = fracture_regions(data.rows, params.input_size)
        bodies = region_masks(data.rows, "sag_body", params.input_size)
        fractured = data.rows["grade"].to_numpy() >= 2
        if isinstance(model, PrototypeNet):
            top, contrib, _, sim_maps = prototype_outputs(model, data, params, split, regions, bodies)
            tops.append(top)
            contribs.append(contrib)
            maps[f"{split}_similarity"] = sim_maps.astype(np.float16)
            maps[f"{split}_subject"] = data.rows["subject"].to_numpy(str)
            maps[f"{split}_label"] = data.rows["label"].to_numpy(np.int64)
            first = top[top["rank"] <= TOP_K].merge(data.rows[["subject", "label", "grade"]], on=["subject", "label"])
            first = first[(first["grade"] >= 2) & first["peak_in_fracture"].notna()]
            locs += [{"subject": r.subject, "label": r.label, "split": split, "method": f"prototype{r.rank}",
                      "peak_row": r.peak_row, "peak_col": r.peak_col, "hit": bool(r.peak_in_fracture),
                      "in_body": r.peak_in_body == 1}
                     for r in first.itertuples()]
        else:
            which = np.nonzero(fractured & regions.any(axis=(1, 2)))[0]
            if len(which):
                with torch.enable_grad():
                    cams = class_activation_maps(model, data.x[which], data.y[which], params.batch_size)
                for name, cam in cams.items():
                    for k, n in enumerate(which):
                        r, c = _peak(cam[k].cpu().numpy())
                        row = data.rows.iloc[n]
                        locs.append({"subject": row.subject, "label": int(row.label), "split": split, "method": name,
                                     "peak_row": r, "peak_col": c, "hit": bool(regions[n, r, c]),
                                     "in_body": bool(bodies[n, r, c])})
    columns = ["subject", "label", "split", "method", "peak_row", "peak_col", "hit", "in_body"]
    out = Evaluation(pd.concat(preds, ignore_index=True), pd.DataFrame(metrics),
                     localisation=pd.DataFrame(locs, columns=columns), maps=maps)
    if isinstance(model, PrototypeNet):
        train = image_set(parts["train"], params, device)
        out.projection, images = _projection(model, train, params)
        out.maps["projection_images"] = images.astype(np.float16)
        out.top = pd.concat(tops, ignore_index=True)
        out.contributions = pd.concat(contribs, ignore_index=True)
        out.cosine = _cosine(model, params)
    for name in ("projection", "top", "contributions", "cosine", "localisation"):
        table = getattr(out, name)
        setattr(out, name, table.assign(fold=fold, arm=arm) if len(table.columns) else table)
    return out
