"""ProtoVerse's loss terms: class-weighted cross-entropy, cluster, separation, diversity, last-layer L1."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def class_weights(counts, scheme: str) -> torch.Tensor:
    """Per-class cross-entropy weights from the training class counts ``d``.

    - ``median``: median-frequency weighting median(d) / d_j (methods section 4's default; with
      982/58/38 vertebrae: 0.059, 1.0, 1.53);
    - ``median_printed``: the paper's printed eq. 3, median(d) / sum_{l != j} d_l (it gives the
      healthy class the largest weight, the opposite of the stated aim; kept for the ablation);
    - ``inverse``: N / (c d_j) and ``inverse_sqrt``: its square root (mean sample weight 1);
    - ``none``: all ones.
    A class absent from training gets weight 0.
    """
    d = np.asarray(counts, dtype=float)
    present = d > 0
    safe = np.where(present, d, 1.0)
    if scheme == "none":
        w = np.ones_like(d)
    elif scheme == "median":
        w = np.median(d) / safe
    elif scheme == "median_printed":
        w = np.median(d) / np.maximum(d.sum() - d, 1.0)
    elif scheme == "inverse":
        w = d.sum() / (len(d) * safe)
    elif scheme == "inverse_sqrt":
        w = np.sqrt(d.sum() / (len(d) * safe))
    else:
        raise ValueError(f"unknown class weighting '{scheme}'")
    return torch.tensor(np.where(present, w, 0.0), dtype=torch.float32)


def weighted_cross_entropy(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """(1/d) sum_i w_{y_i} CE_i, the paper's eq. 3-4 (not PyTorch's weight-normalised mean, which would
    make every rescaling of the weights the same loss)."""
    ce = F.cross_entropy(logits.float(), labels, reduction="none")
    return (weights.to(ce.device)[labels] * ce).mean()


def cluster_and_separation(min_distances: torch.Tensor, labels: torch.Tensor, prototype_class: torch.Tensor
                           ) -> tuple[torch.Tensor, torch.Tensor]:
    """Eq. 1: mean over the batch of the smallest distance to a prototype of the sample's own class, and
    to a prototype of another class."""
    own = prototype_class[None, :] == labels[:, None]
    inf = torch.finfo(min_distances.dtype).max
    cluster = torch.where(own, min_distances, inf).amin(1).mean()
    separation = torch.where(~own, min_distances, inf).amin(1).mean()
    return cluster, separation


def diversity_loss(prototypes: torch.Tensor, prototype_class: torch.Tensor) -> torch.Tensor:
    """Squared cosine similarity of every distinct same-class prototype pair, averaged over pairs and
    classes: 0 for mutually orthogonal prototypes, 1 for identical ones. (Eq. 2 prints a dot product with a
    factor 2 / (c m (m-1)) over ordered pairs; methods section 4 explains the cosine and the averaging.)"""
    p = F.normalize(prototypes.flatten(1).float(), dim=1)
    cos2 = (p @ p.T) ** 2
    same = prototype_class[:, None] == prototype_class[None, :]
    pairs = same & ~torch.eye(len(p), dtype=torch.bool, device=p.device)
    if not pairs.any():
        return cos2.sum() * 0.0
    return cos2[pairs].mean()


def last_layer_l1(weight: torch.Tensor, identity: torch.Tensor) -> torch.Tensor:
    """L1 norm of the connections from prototypes to the classes they do not belong to."""
    return (weight * (1 - identity)).abs().sum()
