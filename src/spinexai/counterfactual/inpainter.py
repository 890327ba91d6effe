"""The partial-convolution inpainting U-Net (Liu et al. 2018, as used by Lenis et al. 2020) and its loss.

Contraction: ``depth`` partial-convolution blocks with stride 2 (kernels 7, 5, 5, 3, ...; channels
``width`` x 1, 2, 4, 8, 8, ...), batch norm (not on the first block) and ReLU. Expansion: nearest
upsampling of features and mask, concatenation with the skip features and masks, a 3x3 partial
convolution, batch norm and LeakyReLU(0.2); the last block joins the input image and has no norm.
In the second training phase the contraction path's batch norms are frozen (``freeze_encoder_bn``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from spinexai.counterfactual.partial_conv import PartialConv


def _kernel(level: int) -> int:
    return 7 if level == 0 else 5 if level < 3 else 3


class PConvUNet(nn.Module):
    """``forward(image, mask) -> output``; ``mask`` is 1 on known pixels, 0 in the holes (1 channel)."""

    def __init__(self, channels: int = 1, depth: int = 5, width: int = 64) -> None:
        super().__init__()
        widths = [width * min(2 ** level, 8) for level in range(depth)]
        self.depth, self.channels = depth, channels
        self.freeze_encoder_bn = False
        self.down = nn.ModuleList(PartialConv(channels if i == 0 else widths[i - 1], widths[i], _kernel(i), stride=2)
                                  for i in range(depth))
        self.down_norm = nn.ModuleList(nn.Identity() if i == 0 else nn.BatchNorm2d(widths[i]) for i in range(depth))
        skips = [channels] + widths[:-1]
        self.up = nn.ModuleList()
        self.up_norm = nn.ModuleList()
        for i in reversed(range(depth)):
            out = skips[i] if i == 0 else widths[i - 1]
            self.up.append(PartialConv(widths[i] + skips[i], out, 3))
            self.up_norm.append(nn.Identity() if i == 0 else nn.BatchNorm2d(out))

    def train(self, mode: bool = True) -> PConvUNet:
        super().train(mode)
        if mode and self.freeze_encoder_bn:
            for norm in self.down_norm:
                norm.eval()
        return self

    def encoder_norm_parameters(self) -> list[nn.Parameter]:
        return [p for norm in self.down_norm for p in norm.parameters()]

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        skips = [(image, mask)]
        x, m = image, mask
        for conv, norm in zip(self.down, self.down_norm, strict=False):
            x, m = conv(x, m)
            x = F.relu(norm(x))
            skips.append((x, m))
        skips.pop()
        for n, (conv, norm) in enumerate(zip(self.up, self.up_norm, strict=False)):
            skip_x, skip_m = skips.pop()
            x = F.interpolate(x, size=skip_x.shape[2:], mode="nearest")
            m = F.interpolate(m, size=skip_x.shape[2:], mode="nearest")
            masks = torch.cat([m.expand(-1, x.shape[1], *m.shape[2:]), skip_m.expand(-1, skip_x.shape[1], *m.shape[2:])], 1)
            x, m = conv(torch.cat([x, skip_x], 1), masks)
            if n < self.depth - 1:
                x = F.leaky_relu(norm(x), 0.2)
        return x


def gram(features: torch.Tensor) -> torch.Tensor:
    """(N, C, C) Gram matrix divided by C * H * W (Liu et al.'s K_p)."""
    n, c = features.shape[:2]
    f = features.reshape(n, c, -1).float()
    return f @ f.transpose(1, 2) / f.shape[-1] / c


def hole_tv(composite: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """Total variation of the composite over the 1-pixel dilation of the hole, normalised by its size."""
    region = F.max_pool2d(hole, 3, stride=1, padding=1)
    dx = (composite[..., :, 1:] - composite[..., :, :-1]).abs() * region[..., :, 1:] * region[..., :, :-1]
    dy = (composite[..., 1:, :] - composite[..., :-1, :]).abs() * region[..., 1:, :] * region[..., :-1, :]
    return dx.sum() / composite.numel() + dy.sum() / composite.numel()


def inpainting_loss(output: torch.Tensor, target: torch.Tensor, mask: torch.Tensor,
                    features: Callable[[torch.Tensor], Sequence[torch.Tensor]], weights: dict[str, float]
                    ) -> dict[str, torch.Tensor]:
    """Liu et al.'s terms (means over elements) and their weighted ``total``; ``mask`` is 1 on known pixels."""
    output = output.float()
    composite = mask * target + (1 - mask) * output
    hole = 1 - mask
    terms = {"valid": (mask * (output - target)).abs().mean(), "hole": (hole * (output - target)).abs().mean()}
    f_gt = [f.detach() for f in features(target)]
    f_out, f_comp = features(output), features(composite)
    terms["perceptual"] = sum((a - b).abs().mean() + (c - b).abs().mean() for a, c, b in zip(f_out, f_comp, f_gt, strict=False))
    g_gt = [gram(f) for f in f_gt]
    terms["style_out"] = sum((gram(a) - g).abs().mean() for a, g in zip(f_out, g_gt, strict=False))
    terms["style_comp"] = sum((gram(a) - g).abs().mean() for a, g in zip(f_comp, g_gt, strict=False))
    terms["tv"] = hole_tv(composite, hole)
    terms["total"] = (weights["valid"] * terms["valid"] + weights["hole"] * terms["hole"]
                      + weights["perceptual"] * terms["perceptual"]
                      + weights["style"] * (terms["style_out"] + terms["style_comp"]) + weights["tv"] * terms["tv"])
    return terms
