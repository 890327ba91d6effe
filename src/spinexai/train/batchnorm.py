"""Precise BatchNorm (Wu & Johnson 2021, "Rethinking 'Batch' in BatchNorm"): a model's running statistics
recomputed as exact means over a set of inputs, with torch's ``update_bn``. With a few small batches per
epoch the momentum estimate follows the last batches, so a model evaluated with it can flip between
predicting one class and another from epoch to epoch."""

from __future__ import annotations

import torch
from torch.optim.swa_utils import update_bn


def recalibrate_batchnorm(model: torch.nn.Module, x: torch.Tensor, batch_size: int) -> None:
    """Reset every BatchNorm layer's running statistics and recompute them over ``x`` (no augmentation),
    in place; the model's train/eval mode is restored."""
    with torch.no_grad():
        update_bn((x[i:i + batch_size].float() for i in range(0, len(x), batch_size)), model)
