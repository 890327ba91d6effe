"""Prototype projection ("push"): every prototype becomes its nearest latent patch among the training
images of its own class (paper eq. 5), and the box enclosing the top of its upsampled similarity map."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from spinexai.prototypes.network import PrototypeNet, log_similarity
from spinexai.train.inference import batched


@torch.no_grad()
def latent_batched(model: PrototypeNet, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    return batched(lambda xb: model.latent(xb).float(), x, batch_size)


@torch.no_grad()
def nearest_own_patches(model: PrototypeNet, z: torch.Tensor, y: torch.Tensor
                        ) -> dict[int, tuple[int, int, int, torch.Tensor]]:
    """For each prototype with training images of its class: (index into ``z``, latent row, column, and
    the (H, W) squared distances on that image, outside the matching window its largest in-window one)
    of its nearest same-class latent patch inside the window."""
    out = {}
    for j, cls in enumerate(model.prototype_class.tolist()):
        own = torch.nonzero(y == cls).flatten()
        if not len(own):
            continue
        d = ((z[own] - model.prototypes[j].float()[None]) ** 2).sum(1)          # (Nc, H, W)
        inside = model.inside_window(d.shape[1], d.shape[2], d.device)
        n, rem = divmod(int(torch.argmin(torch.where(inside, d, torch.inf).flatten())), d.shape[1] * d.shape[2])
        d = model.confine(d)
        r, c = divmod(rem, d.shape[2])
        out[j] = (int(own[n]), r, c, d[n])
    return out


@torch.no_grad()
def push_prototypes(model: PrototypeNet, x: torch.Tensor, y: torch.Tensor, batch_size: int) -> pd.DataFrame:
    """Replace each prototype by its nearest same-class latent patch of ``x`` in place; one row per
    prototype with the source index (into ``x``), latent position and distance before the push."""
    model.eval()
    z = latent_batched(model, x, batch_size)
    nearest = nearest_own_patches(model, z, y)
    rows = []
    for j, cls in enumerate(model.prototype_class.tolist()):
        if j not in nearest:
            rows.append({"prototype": j, "prototype_class": cls, "index": -1, "row": -1, "col": -1,
                         "distance": float("nan"), "status": "not projected: no training image of its class"})
            continue
        index, r, c, d = nearest[j]
        model.prototypes.data[j] = z[index, :, r, c].view_as(model.prototypes.data[j]).to(model.prototypes.dtype)
        rows.append({"prototype": j, "prototype_class": cls, "index": index, "row": r, "col": c,
                     "distance": float(d[r, c]), "status": "projected"})
    return pd.DataFrame(rows)


def upsampled_similarity(distance_map: torch.Tensor, size: int) -> np.ndarray:
    """(H, W) squared distances -> (size, size) similarity, bicubically upsampled as in ProtoPNet."""
    sim = log_similarity(distance_map.float())[None, None]
    return F.interpolate(sim, size=(size, size), mode="bicubic", align_corners=False)[0, 0].cpu().numpy()


def top_box(similarity: np.ndarray, fraction: float) -> tuple[int, int, int, int]:
    """(row0, row1, col0, col1), inclusive-exclusive, of the box enclosing the top ``fraction`` of pixels."""
    threshold = np.quantile(similarity, 1 - fraction)
    rows, cols = np.nonzero(similarity >= threshold)
    return int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1
