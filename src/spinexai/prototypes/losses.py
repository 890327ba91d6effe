"""ProtoVerse's loss terms: class-weighted cross-entropy, cluster, separation, diversity, last-layer L1."""

from __future__ import annotations

import torch
import torch.nn.functional as F


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
