"""The 2D grade classifier every 2D explanation method reads: a VGG-11 backbone with a pooled linear
head (ProtoVerse's baseline, and the classifier the counterfactual analysis explains). Its settings:
``spinexai.models.params.Classifier2dParams``."""

from __future__ import annotations

import torch
from torch import nn

from spinexai.models.params import Classifier2dParams
from spinexai.models.vgg import VGG11Features


class BaselineNet(nn.Module):
    """The backbone without prototypes: global average pooling, dropout and a linear head."""

    def __init__(self, params: Classifier2dParams) -> None:
        super().__init__()
        self.backbone = VGG11Features(params.in_channels, params.width, params.batch_norm, params.pools, params.padding,
                                      params.blocks)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3),
                                  nn.Linear(self.backbone.out_channels, params.n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))
