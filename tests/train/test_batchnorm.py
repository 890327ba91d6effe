"""Precise BN: running statistics become exact means over the given inputs, whatever the momentum left."""

import torch
from torch import nn

from spinexai.train.batchnorm import recalibrate_batchnorm


def test_running_statistics_are_the_exact_mean_and_variance_of_the_inputs():
    torch.manual_seed(0)
    model = nn.Sequential(nn.BatchNorm2d(3), nn.Conv2d(3, 2, 1)).eval()
    model[0].running_mean.fill_(5.0)  # a stale momentum estimate
    x = torch.randn(10, 3, 4, 4) * 2 + 1
    recalibrate_batchnorm(model, x, batch_size=5)
    assert not model.training and model[0].momentum == 0.1  # mode and momentum restored
    assert torch.allclose(model[0].running_mean, x.mean(dim=(0, 2, 3)), atol=1e-5)
    per_batch = torch.stack([x[:5].var(dim=(0, 2, 3)), x[5:].var(dim=(0, 2, 3))]).mean(0)  # unbiased, per batch
    assert torch.allclose(model[0].running_var, per_batch, atol=1e-4)
