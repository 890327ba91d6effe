"""Genant-graded reformations for the prototype models: rows, fold splits, device tensors, augmentation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from spinexai.data.tensors import load_sagittal_stack
from spinexai.prototypes.params import ProtoParams


def graded_rows(patches: pd.DataFrame, grades) -> pd.DataFrame:
    """Included vertebrae whose Genant grade is one of ``grades`` (G1 is left out by default), with the
    class index ``target`` (position of the grade in ``grades``)."""
    grades = [int(g) for g in grades]
    rows = patches[(patches["status"] == "included") & patches["grade"].isin(grades)].copy()
    rows["target"] = rows["grade"].map({g: n for n, g in enumerate(grades)}).astype(np.int64)
    return rows.reset_index(drop=True)


@dataclass
class ImageSet:
    rows: pd.DataFrame
    x: torch.Tensor        # (N, C, S, S) fp16 on the device
    y: torch.Tensor        # (N,) class indices


def image_set(rows: pd.DataFrame, params: ProtoParams, device: torch.device) -> ImageSet:
    """Reformations resident on ``device``; with pretrained 3-channel weights the image is repeated."""
    x = load_sagittal_stack(rows, params.input_size, device)
    if params.in_channels == 3:
        x = torch.cat([x[:, :1], x], dim=1)
    return ImageSet(rows, x, torch.as_tensor(rows["target"].to_numpy(np.int64, copy=True), device=device))


def augment(x: torch.Tensor, params: ProtoParams, generator: torch.Generator) -> torch.Tensor:
    """On the device, in batch: contrast and noise on the image channels, and one random translation
    applied to every channel (the centroid channel moves with the image)."""
    x = x.float()
    n, device = len(x), x.device
    image = x[:, :-1]
    factor = torch.exp((torch.rand(n, 1, 1, 1, generator=generator, device=device) * 2 - 1) * params.contrast)
    mean = image.mean(dim=(1, 2, 3), keepdim=True)
    image = ((image - mean) * factor + mean + torch.randn(image.shape, generator=generator, device=device)
             * params.noise_std).clamp(0, 1)
    x = torch.cat([image, x[:, -1:]], dim=1)
    if params.shift > 0:
        theta = torch.zeros(n, 2, 3, device=device)
        theta[:, 0, 0] = theta[:, 1, 1] = 1
        theta[:, :, 2] = (torch.rand(n, 2, generator=generator, device=device) * 2 - 1) * 2 * params.shift
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    return x
