"""The report gallery's vertebra: chosen from the saved maps of the first fold, with its images loaded."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from spinexai.benchmark.figures import gallery
from spinexai.data.tensors import load_patch_stack, load_sagittal_stack
from spinexai.fracture3d.classifier import ClassifierParams


def _load(path: str) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def _empty(message: str) -> Figure:
    fig = Figure(figsize=(4, 1))
    fig.text(0.5, 0.5, message, ha="center", va="center", fontsize=9)
    return fig


def gallery_figure(patches: pd.DataFrame, maps_2d: Sequence[str], maps_3d: Sequence[str], bench: dict,
                   classifier: dict) -> Figure:
    """Every method's map of the G2/G3 vertebra with the largest 2D region (first fold's models)."""
    if not maps_2d or not maps_3d:
        return _empty("no benchmark maps")
    two, three = _load(sorted(maps_2d)[0]), _load(sorted(maps_3d)[0])
    if not len(two["subject"]):
        return _empty("no held-out vertebra with a fracture region")
    size = two["region"].reshape(len(two["subject"]), -1).sum(1) * (two["grade"] >= 2)
    n = int(np.argmax(size))
    subject, label = str(two["subject"][n]), int(two["label"][n])
    row = patches[(patches["subject"] == subject) & (patches["label"] == label)]
    image_2d = load_sagittal_stack(row, two["region"].shape[-1])[0, 0].float().numpy()
    cls = ClassifierParams.from_dict(classifier)
    volume = load_patch_stack(row["ct_patch"].tolist(), crop=cls.crop, size=cls.input_size)[0, 0].float().numpy()
    m = int(np.flatnonzero((three["subject"] == subject) & (three["label"] == label))[0])
    mid = int(round(float(three["centre"][2])))
    methods_2d = {str(k): two[f"map_{k}"][n] for k in two["methods"]}
    methods_3d = {str(k): three[f"map_{k}"][m][:, :, mid] for k in three["methods"]}
    title = (f"sub-{subject} {row['level'].iloc[0]} (G{int(two['grade'][n])}), fold {int(two['fold'])}: maps with the "
             "true fracture region outlined")
    return gallery(image_2d, methods_2d, two["region"][n], volume[:, :, mid], methods_3d, three["region"][m][:, :, mid],
                   title, int(bench.get("gallery_method_columns", 6)))
