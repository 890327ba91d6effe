"""Residual log-likelihood estimation (Li et al. 2021) for keypoints, as XVFA uses it.

The regressor predicts a centre ``mu`` and scale ``sigma`` per keypoint; the error normalised by
them, ``eps = (x - mu) / sigma``, has the density ``q(eps) * g(eps)`` up to a constant: a fixed base
``q`` (Laplace or Gaussian) times a residual learned by a normalising flow ``g``. The negative
log-likelihood is ``-log q(eps) - log g(eps) + log sigma`` (XVFA eq. 5).
"""

from __future__ import annotations

import math

import torch

from spinexai.errors import look_up_option
from spinexai.models.flow import RealNVP

BASES = ("laplace", "gaussian")


def base_log_prob(eps: torch.Tensor, base: str) -> torch.Tensor:
    """log q(eps) summed over the last dimension (unit scale)."""
    look_up_option(base, BASES, field="morphometry.rle_base")
    if base == "laplace":
        return (-eps.abs() - math.log(2.0)).sum(-1)
    return (-0.5 * eps**2 - 0.5 * math.log(2 * math.pi)).sum(-1)


def rle_loss(target: torch.Tensor, mu: torch.Tensor, log_sigma: torch.Tensor, flow: RealNVP,
             base: str = "laplace") -> torch.Tensor:
    """Mean RLE negative log-likelihood over keypoints; tensors are ``(..., 2)``."""
    eps = (target - mu) / log_sigma.exp()
    nll = -base_log_prob(eps, base) - flow.log_prob(eps) + log_sigma.sum(-1)
    return nll.mean()


@torch.no_grad()
def sample_errors(flow: RealNVP, n: int, base: str = "laplace", generator: torch.Generator | None = None,
                  oversample: int = 8) -> torch.Tensor:
    """``n`` draws of ``eps`` from ``q * g``: flow samples resampled with weights ``q`` (importance resampling)."""
    draws = flow.sample(n * oversample, generator=generator)
    weights = torch.softmax(base_log_prob(draws, base), dim=0)
    index = torch.multinomial(weights, n, replacement=True, generator=generator)
    return draws[index]


@torch.no_grad()
def sample_keypoints(mu: torch.Tensor, log_sigma: torch.Tensor, flow: RealNVP, n: int, base: str = "laplace",
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` draws of every keypoint: ``(n, *mu.shape)`` = ``mu + sigma * eps``."""
    count = mu[..., 0].numel()
    eps = sample_errors(flow, n * count, base, generator).view(n, *mu.shape)
    return mu.unsqueeze(0) + log_sigma.exp().unsqueeze(0) * eps


def interval_half_width(samples: torch.Tensor, mu: torch.Tensor, level: float = 0.9) -> torch.Tensor:
    """Per keypoint coordinate, the half-width e with P(|x - mu| <= e) = ``level`` (XVFA eq. 6)."""
    return torch.quantile((samples - mu.unsqueeze(0)).abs(), level, dim=0)
