"""A small RealNVP normalising flow (Dinh et al. 2017) over low-dimensional vectors.

Residual log-likelihood estimation needs the density of a 2D keypoint error; flow libraries
(nflows, normflows) would add a dependency for about forty lines, so the affine coupling layers are
written here.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class _Coupling(nn.Module):
    def __init__(self, mask: torch.Tensor, hidden: int) -> None:
        super().__init__()
        dim = mask.numel()
        self.register_buffer("mask", mask.float())
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.LeakyReLU(), nn.Linear(hidden, hidden), nn.LeakyReLU(),
                                 nn.Linear(hidden, 2 * dim))
        nn.init.zeros_(self.net[-1].weight)  # starts as the identity map
        nn.init.zeros_(self.net[-1].bias)

    def _scale_shift(self, kept: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s, t = self.net(kept).chunk(2, dim=-1)
        free = 1 - self.mask
        return torch.tanh(s) * free, t * free

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Data -> base direction; returns (y, log|det J|)."""
        s, t = self._scale_shift(x * self.mask)
        return x * torch.exp(s) + t, s.sum(-1)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        s, t = self._scale_shift(y * self.mask)
        return (y - t) * torch.exp(-s)


class RealNVP(nn.Module):
    """Alternating affine couplings with a standard normal base.

    Args:
        dim: dimension of the modelled vectors (2 for an image keypoint).
        layers: coupling layers (each transforms the half the previous one kept).
        hidden: width of the coupling networks.
    """

    def __init__(self, dim: int = 2, layers: int = 6, hidden: int = 64) -> None:
        super().__init__()
        masks = [(torch.arange(dim) + i) % 2 for i in range(layers)]
        self.couplings = nn.ModuleList(_Coupling(m, hidden) for m in masks)
        self.dim = dim

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log density of ``x`` (..., dim)."""
        log_det = torch.zeros(x.shape[:-1], device=x.device, dtype=x.dtype)
        for layer in self.couplings:
            x, ld = layer(x)
            log_det = log_det + ld
        base = -0.5 * (x**2).sum(-1) - 0.5 * self.dim * math.log(2 * math.pi)
        return base + log_det

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` draws from the flow's density."""
        device = next(self.parameters()).device
        z = torch.randn(n, self.dim, generator=generator, device=device)
        for layer in reversed(self.couplings):
            z = layer.inverse(z)
        return z
