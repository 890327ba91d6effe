"""Binary fracture classifier: U-Net encoder plus a pooled or convolutional head (Engstler et al. 2022)."""

from __future__ import annotations

import torch
from torch import nn

from spinexai.errors import look_up_option
from spinexai.models.encoder import UNetEncoder


class FractureClassifier(nn.Module):
    """Encoder, then a head that maps the last block's units to one fracture logit.

    Args:
        spatial_dims: 2 or 3.
        in_channels: input channels.
        width: encoder width (32 gives the paper's 512 units).
        head: ``"pool"`` (global average pooling, dropout, linear) or ``"conv"`` (the reference code's
            1x1 convolution, pooling and a two-layer MLP).
        dropout: dropout before the last linear layer (0.3 in the paper).
        pools: the encoder's max-pools (3 in the paper; fewer give a finer grid of units).

    ``forward`` returns logits ``(B,)``; ``features`` returns the unit activations ``(B, C, ...)``.
    """

    def __init__(self, spatial_dims: int = 3, in_channels: int = 1, width: int = 32, head: str = "pool",
                 dropout: float = 0.3, pools: int = 3) -> None:
        super().__init__()
        look_up_option(head, ("pool", "conv"), field="classifier.head")
        self.encoder = UNetEncoder(spatial_dims, in_channels, width, pools)
        c = self.encoder.out_channels
        pool = nn.AdaptiveAvgPool3d(1) if spatial_dims == 3 else nn.AdaptiveAvgPool2d(1)
        if head == "pool":
            self.head = nn.Sequential(pool, nn.Flatten(), nn.Dropout(dropout), nn.Linear(c, 1))
        else:
            conv = nn.Conv3d if spatial_dims == 3 else nn.Conv2d
            self.head = nn.Sequential(conv(c, c // 4, 1), nn.ReLU(), pool, nn.Flatten(), nn.Linear(c // 4, c // 8),
                                      nn.ReLU(), nn.Dropout(dropout), nn.Linear(c // 8, 1))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x)).squeeze(-1)
