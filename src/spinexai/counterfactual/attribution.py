"""The one-pass attribution network of Lenis et al. (2020) and its deletion-game objective.

The frozen classifier encoder (VGG-11 features) feeds its final features through an additive
attention filter ``x * sigmoid(W_m relu(W_l x + b_l) + b_m)``; ``levels`` blocks each upsample by 2,
apply a 1x1 convolution and merge with the attention-filtered classifier features of that scale; a
final upsampling returns to the input resolution and a 1x1 convolution gives two channels (a, b).
The map is ``|a| / (|a| + |b| + eps)``, binarised at ``threshold``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from spinexai.models.vgg import VGG11Features
from spinexai.train.inference import batched


class FractureScore(nn.Module):
    """Two logits (healthy, fracture) from a grade classifier: log-sum-exp over each group's grades, so
    ``softmax`` gives p(healthy) and p(fracture) = sum of the fracture grades' probabilities."""

    def __init__(self, classifier: nn.Module, healthy: Sequence[int], fracture: Sequence[int]) -> None:
        super().__init__()
        self.classifier = classifier
        self.register_buffer("healthy", torch.as_tensor(list(healthy)), persistent=False)
        self.register_buffer("fracture", torch.as_tensor(list(fracture)), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.classifier(x).float()
        return torch.stack([logits[:, self.healthy].logsumexp(1), logits[:, self.fracture].logsumexp(1)], 1)


def p_fracture(score: nn.Module, x: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """p(fracture) for ``x``, batch by batch, without gradients."""
    with torch.no_grad():
        return batched(lambda xb: score(xb).softmax(1)[:, 1], x, batch_size)


class AttentionFilter(nn.Module):
    """Additive attention on one feature map (the paper's feature filter)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        inner = max(channels // 2, 1)
        self.inner = nn.Conv2d(channels, inner, 1)
        self.outer = nn.Conv2d(inner, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.outer(F.relu(self.inner(x))))


class UpBlock(nn.Module):
    def __init__(self, in_channels: int, skip_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, skip_channels, 1)
        self.gate = AttentionFilter(skip_channels)
        self.merge = nn.Conv2d(2 * skip_channels, skip_channels, 1)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv(F.interpolate(x, size=skip.shape[2:], mode="nearest")))
        return F.relu(self.merge(torch.cat([x, self.gate(skip)], 1)))


def attribution_map(head: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """|a| / (|a| + |b| + eps) of the two head channels: in [0, 1), 0 (not NaN) where a = b = 0."""
    a, b = head[:, :1].abs(), head[:, 1:2].abs()
    return a / (a + b + eps)


class AttributionNet(nn.Module):
    """``forward(x) -> (N, 1, S, S)`` soft map in [0, 1); the encoder is frozen and never trained."""

    def __init__(self, encoder: VGG11Features, levels: int = 4) -> None:
        super().__init__()
        self.encoder = encoder.requires_grad_(False).eval()
        with torch.no_grad():
            before, after = encoder.taps(torch.zeros(1, encoder.in_channels, 64, 64))
        if levels > len(before) - 1:
            raise ValueError(f"levels must be at most {len(before) - 1} for this encoder")
        self.levels = levels
        channels = [t.shape[1] for t in before]
        top = after[-1].shape[1]
        self.top_gate = AttentionFilter(top)
        self.blocks = nn.ModuleList()
        for scale in reversed(range(len(before) - levels, len(before))):
            self.blocks.append(UpBlock(top, channels[scale]))
            top = channels[scale]
        self.head = nn.Conv2d(top, 2, 1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d) and not any(m is e for e in self.encoder.modules()):
                nn.init.normal_(m.weight, std=(2.0 / m.in_channels) ** 0.5)   # random-normal (He scale)
                nn.init.zeros_(m.bias)

    def train(self, mode: bool = True) -> AttributionNet:
        super().train(mode)
        self.encoder.eval()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            before, after = self.encoder.taps(x.float())
        h = self.top_gate(after[-1])
        for block, skip in zip(self.blocks, reversed(before[len(before) - self.levels:]), strict=False):
            h = block(h, skip)
        h = F.interpolate(h, size=x.shape[2:], mode="nearest")
        return attribution_map(self.head(h).float())


def area_penalty(soft: torch.Tensor, max_area: float) -> torch.Tensor:
    """One-sided quadratic penalty on the map's mean above ``max_area`` (Kervadec et al. 2019), per image."""
    return F.relu(soft.flatten(1).mean(1) - max_area) ** 2


def weighted_tv(soft: torch.Tensor, image: torch.Tensor, sigma: float) -> torch.Tensor:
    """Total variation of the map, each difference weighted by exp(-(image difference)^2 / 2 sigma^2), so
    map edges along image edges cost less (Peng et al. 2019); per image."""
    di = image[..., :, 1:] - image[..., :, :-1]
    dj = image[..., 1:, :] - image[..., :-1, :]
    wx, wy = torch.exp(-di ** 2 / (2 * sigma ** 2)), torch.exp(-dj ** 2 / (2 * sigma ** 2))
    tx = (wx * (soft[..., :, 1:] - soft[..., :, :-1]).abs()).flatten(1).mean(1)
    ty = (wy * (soft[..., 1:, :] - soft[..., :-1, :]).abs()).flatten(1).mean(1)
    return tx + ty


def counterfactual(x: torch.Tensor, hard: torch.Tensor, inpaint: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                   blend: torch.Tensor | None = None) -> torch.Tensor:
    """pi(M) = (1 - M) x + M inpaint(x, 1 - M) on the image (channel 0, repeated in every channel but the
    last); the last channel (the centroid heatmap) is kept.
    ``hard`` is the binary map given to the inpainter; ``blend`` (default ``hard``) is the map the
    composite uses, so a straight-through map carries gradients."""
    blend = hard if blend is None else blend
    image = x[:, :1].float()
    with torch.no_grad():
        filled = inpaint(image, 1 - hard).float()
    out = (1 - blend) * image + blend * filled
    return torch.cat([out.expand(-1, x.shape[1] - 1, *out.shape[2:]), x[:, -1:].float()], 1)


def grid_reference(image: torch.Tensor, inpaint, cells: int = 8) -> torch.Tensor:
    """A healthy fill for every pixel: four inpainting passes, each with square holes on a grid of
    ``cells`` x ``cells`` squares (checkerboards shifted by half a period), so each pixel is filled once
    from its own neighbourhood. Gives the straight-through gradient a direction outside the current
    binary map, which otherwise has none (the fill equals the image where nothing is masked)."""
    size = image.shape[-1]
    step = max(size // cells, 1)
    rows = torch.arange(size, device=image.device) // step
    out = torch.empty_like(image)
    with torch.no_grad():
        for dr in (0, 1):
            for dc in (0, 1):
                hole = (((rows[:, None] + dr) % 2 == 0) & ((rows[None, :] + dc) % 2 == 0)).to(image.dtype)
                hole = hole.expand_as(image)
                filled = inpaint(image, 1 - hole).to(image.dtype)
                out = torch.where(hole.bool(), filled, out)
    return out


def bounded(t: torch.Tensor, scale: float, kind: str = "softsign") -> torch.Tensor:
    """Squash an objective term into (-1, 1): ``softsign`` t / (scale + |t|) or ``logistic``
    2 sigmoid(t / scale) - 1. The logistic's gradient vanishes exponentially: for a confident classifier
    (logits of +-100 in the toy test) the class and log-odds terms then give no gradient at all, while
    the softsign's decays only quadratically, which Adam's normalised steps still follow."""
    if kind == "logistic":
        return 2 * torch.sigmoid(t / scale) - 1
    return t / (scale + t.abs())


def deletion_loss(soft: torch.Tensor, x: torch.Tensor, score: nn.Module, inpaint, weights: dict[str, float],
                  threshold: float, max_area: float, tv_sigma: float, scale: float = 1.0,
                  bounding: str = "softsign") -> dict[str, torch.Tensor]:
    """The objective on a batch: a class term -log p(healthy | pi(M)), the log-odds change
    log odds(pi(M)) - log odds(x) (negative when the deletion lowers p(fracture); the paper prints the
    opposite sign, which would reward adding evidence), the weighted TV of the map, each bounded (see
    :func:`bounded`), plus the one-sided area penalty."""
    hard = (soft > threshold).float()
    image = x[:, :1].float()
    with torch.no_grad():
        filled = inpaint(image, 1 - hard).float()
        reference = hard * filled + (1 - hard) * grid_reference(image, inpaint)
    # value: the paper's counterfactual of the binary map; gradient: blending towards a healthy fill
    composite = (1 - hard) * image + hard * filled + (soft - soft.detach()) * (reference - image)
    logits_cf = score(torch.cat([composite.expand(-1, x.shape[1] - 1, *x.shape[2:]), x[:, -1:].float()], 1))
    with torch.no_grad():
        logits = score(x.float())
    odds_cf = logits_cf[:, 1] - logits_cf[:, 0]
    odds = logits[:, 1] - logits[:, 0]
    terms = {"class": -F.log_softmax(logits_cf, 1)[:, 0], "odds": odds_cf - odds,
             "tv": weighted_tv(soft, x[:, :1].float(), tv_sigma), "area": area_penalty(soft, max_area)}
    b = {k: bounded(v, scale, bounding) for k, v in terms.items() if k != "area"}
    total = (weights["class"] * b["class"] + weights["odds"] * b["odds"] + weights["tv"] * b["tv"]
             + weights["area"] * terms["area"]).mean()
    out = {k: v.mean() for k, v in terms.items()}
    out["total"] = total
    out["p_fracture"] = logits_cf.softmax(1)[:, 1].mean()
    return out
