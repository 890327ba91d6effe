"""The encoder half of a Models-Genesis 3D U-Net (Zhou et al. 2019), for 2D or 3D inputs.

Blocks (in -> w -> 2w), (2w -> 2w -> 4w), (4w -> 4w -> 8w), (8w -> 8w -> 16w) of 3^d convolution,
batch norm and ReLU, max-pooling after the first three (``pools`` < 3 keeps only the first ones, for a
finer grid of units at a downsampled input). With ``width=32`` the last block has the 512 units that
network dissection studies.
"""

from __future__ import annotations

import torch
from monai.networks.blocks import Convolution
from monai.networks.layers import Pool
from torch import nn


def _double_conv(spatial_dims: int, c_in: int, c_mid: int, c_out: int) -> nn.Sequential:
    kw = {"spatial_dims": spatial_dims, "kernel_size": 3, "act": "RELU", "norm": "BATCH", "adn_ordering": "NA"}
    return nn.Sequential(Convolution(in_channels=c_in, out_channels=c_mid, **kw),
                         Convolution(in_channels=c_mid, out_channels=c_out, **kw))


class UNetEncoder(nn.Module):
    """Four double-convolution blocks; ``forward`` returns the last block's feature map.

    Args:
        spatial_dims: 2 or 3.
        in_channels: input channels.
        width: channels after the first convolution (32 in Models Genesis; the last block has 16x).
        pools: max-pools, after the first ``pools`` blocks (Models Genesis: 3).

    Input ``(B, in_channels, *spatial)`` with spatial sizes divisible by ``2 ** pools``; output
    ``(B, 16 * width, *spatial / 2 ** pools)``.
    """

    def __init__(self, spatial_dims: int = 3, in_channels: int = 1, width: int = 32, pools: int = 3) -> None:
        super().__init__()
        if not 0 <= pools <= 3:
            raise ValueError(f"pools must be 0-3, got {pools}")
        w = width
        pool = Pool["MAX", spatial_dims]
        self.blocks = nn.ModuleList([
            _double_conv(spatial_dims, in_channels, w, 2 * w),
            _double_conv(spatial_dims, 2 * w, 2 * w, 4 * w),
            _double_conv(spatial_dims, 4 * w, 4 * w, 8 * w),
            _double_conv(spatial_dims, 8 * w, 8 * w, 16 * w),
        ])
        self.pool = pool(kernel_size=2)
        self.out_channels = 16 * w
        self.pools = pools

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i < self.pools:
                x = self.pool(x)
        return x
