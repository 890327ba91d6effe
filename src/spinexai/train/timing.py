"""Wall-clock timing of model work, synchronised on CUDA so that queued kernels are counted."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch


def seconds(fn: Callable[[], object], device: torch.device) -> float:
    """Seconds one call of ``fn`` takes on ``device``."""
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start
