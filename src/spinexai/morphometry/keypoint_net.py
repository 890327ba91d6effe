"""XVFA's keypoint network on a CT reformation: a 2D U-Net encoder, the six endplate points (centre and
scale per coordinate, with a RealNVP flow for the residual log-likelihood) and image logits for grade
and morphology."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from spinexai.models.encoder import UNetEncoder
from spinexai.models.flow import RealNVP
from spinexai.morphometry.params import KeypointParams
from spinexai.train.inference import batched
from spinexai.train.saving import load_into


class KeypointNet(nn.Module):
    """Encoder, then the six 2D points' centres (mu) from one of two heads, and from the globally pooled
    features a linear layer for their scales (log sigma) and the image logits.

    ``head="regression"``: mu from the pooled features too (XVFA/RLE's regression head). Global pooling
    discards where a feature fired, so a small encoder predicts near the mean shape (fold-3 probe: the
    predicted height loss 0.12-0.13 for every grade, against 0.10-0.53 from the masks).
    ``head="soft_argmax"``: one heatmap per point on the encoder's grid (a 1x1 convolution), softmax over
    the grid and mu the expected cell centre (integral regression, Sun et al. 2018): translation-
    equivariant, sub-cell precise, and never outside the image.
    """

    def __init__(self, width: int, flow_layers: int = 6, head: str = "regression") -> None:
        super().__init__()
        if head not in ("regression", "soft_argmax"):
            raise ValueError(f"head must be regression or soft_argmax, got {head!r}")
        self.head = head
        self.encoder = UNetEncoder(2, 2, width)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.n_mu = 12 if head == "regression" else 0
        self.out = nn.Linear(self.encoder.out_channels, self.n_mu + 12 + 2 * 4)
        self.heatmaps = nn.Conv2d(self.encoder.out_channels, 6, 1) if head == "soft_argmax" else None
        self.flow = RealNVP(2, layers=flow_layers, hidden=64)

    def init_mean_points(self, mean: torch.Tensor) -> None:
        """Start the regression head's prediction at ``mean`` (6, 2) normalised points."""
        if self.head == "regression":
            with torch.no_grad():
                self.out.bias[:12] = mean.flatten()

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        features = self.encoder(x)
        out = self.out(self.pool(features).flatten(1))
        if self.heatmaps is None:
            mu = out[:, :12].view(-1, 6, 2)
        else:
            heat = self.heatmaps(features).float()                                  # (N, 6, H, W)
            h, w = heat.shape[-2:]
            p = heat.flatten(2).softmax(-1).view_as(heat)
            rows = (2 * torch.arange(h, device=x.device, dtype=p.dtype) + 1) / h - 1  # cell centres in [-1, 1]
            cols = (2 * torch.arange(w, device=x.device, dtype=p.dtype) + 1) / w - 1
            mu = torch.stack([(p.sum(-1) * rows).sum(-1), (p.sum(-2) * cols).sum(-1)], -1)
        rest = out[:, self.n_mu:]
        log_sigma = rest[:, :12].view(-1, 6, 2).clamp(-7, 2)
        return {"mu": mu, "log_sigma": log_sigma, "grade_logits": rest[:, 12:16], "morph_logits": rest[:, 16:20]}


def forward_batched(model: KeypointNet, x: torch.Tensor, batch_size: int) -> dict[str, torch.Tensor]:
    """The model over ``x`` in batches (eval-mode statistics make this equal to one big batch)."""
    return batched(model, x, batch_size)


def load_keypoint_model(params: KeypointParams, path: str | Path, device: torch.device) -> KeypointNet:
    return load_into(KeypointNet(params.width, params.flow_layers, params.head).to(device), path, device)
