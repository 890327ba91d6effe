"""Genant-graded mid-sagittal reformations as device tensors: what every 2D method (the grade models,
the counterfactual analysis, the benchmark, predict) reads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from spinexai.data.tensors import load_sagittal_stack


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

    def subset(self, keep: np.ndarray | torch.Tensor) -> ImageSet:
        """The images where the boolean ``keep`` is true, rows renumbered from 0."""
        keep = torch.as_tensor(keep, dtype=torch.bool).cpu()
        index = keep.nonzero().flatten()
        return ImageSet(self.rows.iloc[index.numpy()].reset_index(drop=True), self.x[index.to(self.x.device)],
                        self.y[index.to(self.y.device)])


def image_set(rows: pd.DataFrame, params, device: torch.device) -> ImageSet:
    """Reformations resident on ``device`` at ``params.input_size``; with ``params.in_channels`` 3
    (pretrained RGB weights) the image is repeated. ``params``: the 2D classifier's section."""
    x = load_sagittal_stack(rows, params.input_size, device)
    if params.in_channels == 3:
        x = torch.cat([x[:, :1], x], dim=1)
    return ImageSet(rows, x, torch.as_tensor(rows["target"].to_numpy(np.int64, copy=True), device=device))
