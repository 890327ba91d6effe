"""The RealNVP flow and the residual log-likelihood loss of the keypoint model."""

import math

import pytest
import torch

from spinexai.models.flow import RealNVP
from spinexai.morphometry.rle import interval_half_width, rle_loss, sample_keypoints


def test_flow_starts_as_the_standard_normal_and_inverts():
    torch.manual_seed(0)
    flow = RealNVP(2, layers=4, hidden=16)
    x = torch.randn(50, 2)
    expected = -0.5 * (x**2).sum(-1) - math.log(2 * math.pi)
    assert torch.allclose(flow.log_prob(x), expected, atol=1e-6)
    for p in flow.parameters():  # perturb away from the identity, then invert
        p.data += 0.1 * torch.randn_like(p)
    y = x
    for layer in flow.couplings:
        y, _ = layer(y)
    for layer in reversed(flow.couplings):
        y = layer.inverse(y)
    assert torch.allclose(y, x, atol=1e-5)


def test_flow_density_integrates_to_one():
    torch.manual_seed(1)
    flow = RealNVP(2, layers=4, hidden=16)
    for p in flow.parameters():
        p.data += 0.2 * torch.randn_like(p)
    grid = torch.linspace(-8, 8, 401)
    xx, yy = torch.meshgrid(grid, grid, indexing="ij")
    with torch.no_grad():
        density = flow.log_prob(torch.stack([xx, yy], -1).reshape(-1, 2)).exp()
    assert torch.isfinite(density).all()
    assert abs(float(density.sum() * (grid[1] - grid[0]) ** 2) - 1.0) < 0.02


@pytest.mark.parametrize("base", ["laplace", "gaussian"])
def test_fitted_rle_samples_have_the_data_scale(base):
    """Fit a scale and a flow to keypoints scattered with SD 3 around a known centre; samples match."""
    torch.manual_seed(2)
    target = torch.randn(2000, 2) * torch.tensor([3.0, 1.5])
    mu = torch.zeros(2)
    log_sigma = torch.zeros(2, requires_grad=True)
    flow = RealNVP(2, layers=4, hidden=16)
    opt = torch.optim.Adam([log_sigma, *flow.parameters()], lr=0.05)
    for _ in range(400):
        opt.zero_grad()
        loss = rle_loss(target, mu.expand_as(target), log_sigma.expand_as(target), flow, base)
        assert torch.isfinite(loss)
        loss.backward()
        opt.step()
    samples = sample_keypoints(mu, log_sigma.detach(), flow, 20000, base, torch.Generator().manual_seed(0))
    sd = samples.std(0)
    assert torch.allclose(sd, torch.tensor([3.0, 1.5]), rtol=0.15), sd
    half = interval_half_width(samples, mu, 0.9)
    assert torch.allclose(half, 1.645 * torch.tensor([3.0, 1.5]), rtol=0.15), half
