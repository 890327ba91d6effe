"""Partial convolution (Liu et al. 2018), 2D and 3D.

Written here because neither PyTorch nor MONAI has one. For a window with mask sum ``sum(M) > 0`` the
output is ``W^T (X * M) * sum(1) / sum(M) + b`` (``sum(1)``: the window size, padding counted as
invalid) and the updated mask is 1; where the window holds no valid pixel the output and the mask are 0.
The mask may have one channel (shared by all input channels) or one per input channel.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

_CONV = {2: F.conv2d, 3: F.conv3d}
_MODULE = {2: nn.Conv2d, 3: nn.Conv3d}


class PartialConv(nn.Module):
    """``forward(x, mask) -> (y, new_mask)``; ``mask`` is 1 where ``x`` is valid."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, dims: int = 2,
                 bias: bool = True) -> None:
        super().__init__()
        if dims not in _CONV:
            raise ValueError(f"dims must be 2 or 3, got {dims}")
        self.dims, self.stride, self.padding = dims, stride, kernel_size // 2
        self.conv = _MODULE[dims](in_channels, out_channels, kernel_size, stride, self.padding, bias=False)
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.register_buffer("ones", torch.ones((1, 1) + (kernel_size,) * dims), persistent=False)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        channels = mask.shape[1]
        with torch.no_grad(), torch.autocast(device_type=mask.device.type, enabled=False):  # exact counts
            mask = mask.float()
            ones = self.ones.expand(1, channels, *self.ones.shape[2:]).to(mask.dtype)
            valid = _CONV[self.dims](mask, ones, stride=self.stride, padding=self.padding)
            window = float(ones.numel())
            new_mask = (valid > 0).to(x.dtype)
            ratio = window / valid.clamp_min(1.0) * new_mask
        out = self.conv(x * mask) * ratio
        if self.bias is not None:
            out = (out + self.bias.view(1, -1, *[1] * self.dims)) * new_mask
        return out, new_mask
