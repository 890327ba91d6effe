"""Batched inference: one model function over a stack of inputs, batch by batch."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import torch

Output = TypeVar("Output", torch.Tensor, dict[str, torch.Tensor])


def batched(fn: Callable[..., Output], x: torch.Tensor, batch_size: int, *aligned: torch.Tensor) -> Output:
    """``fn(x_batch.float(), *aligned_batches)`` over consecutive batches of ``x`` (each ``aligned`` tensor
    sliced along the same rows), concatenated along the first axis (per key when ``fn`` returns a dict).
    Gradient mode and the model's train/eval mode are the caller's."""
    if not len(x):
        raise ValueError("batched: no inputs")
    parts = [fn(x[i:i + batch_size].float(), *(a[i:i + batch_size] for a in aligned)) for i in range(0, len(x), batch_size)]
    if isinstance(parts[0], dict):
        return {key: torch.cat([p[key] for p in parts]) for key in parts[0]}
    return torch.cat(parts)
