"""Figures of dissected units: sagittal slices with the activation and its above-threshold outline.

Slices are (inferior, posterior) planes of the patch: superior at the top, anterior on the left.
Each slice is rendered to an RGB tile with numpy and the tiles are laid out in one image: a grid of
hundreds of matplotlib axes costs about a minute per fold on a laptop, a montage a second.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from scipy import ndimage

CT_WINDOW = (0.3, 0.85)  # of the [0, 1] input scale: -400 to 700 HU
OUTLINE = np.array([0.0, 0.9, 1.0])


@dataclass
class UnitView:
    """One sample seen through one unit: input volume, upsampled activation, threshold, caption."""

    ct: np.ndarray  # input grid, [0, 1]
    activation: np.ndarray
    threshold: float
    caption: str
    slice_index: int | None = None


def render_slice(view: UnitView, index: int, vmax: float, scale: int = 4) -> np.ndarray:
    """RGB tile: CT in grey, activation from half the threshold up in colour, the mask M_k outlined."""
    lo, hi = CT_WINDOW
    grey = np.clip((view.ct[:, :, index] - lo) / (hi - lo), 0, 1)
    rgb = np.repeat(grey[..., None], 3, axis=-1)
    act = view.activation[:, :, index]
    shown = act > max(0.5 * view.threshold, 0.0)
    colour = colormaps["autumn"](np.clip(act / max(vmax, 1e-6), 0, 1))[..., :3]
    rgb[shown] = 0.5 * rgb[shown] + 0.5 * colour[shown]
    rgb = np.kron(rgb, np.ones((scale, scale, 1)))
    mask = np.kron(act > view.threshold, np.ones((scale, scale), bool))
    edge = mask & ~ndimage.binary_erosion(mask, border_value=0)
    rgb[edge] = OUTLINE
    return rgb


def _montage(tiles: Sequence[np.ndarray], captions: Sequence[str], columns: int, title: str,
             tile_inches: float = 1.8) -> Figure:
    rows = max(1, math.ceil(len(tiles) / columns))
    h, w = tiles[0].shape[:2] if tiles else (1, 1)
    pad = max(2, h // 16)
    canvas = np.ones((rows * (h + pad), columns * (w + pad), 3))
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        canvas[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = tile
    fig = Figure(figsize=(tile_inches * columns, tile_inches * rows * (h + pad) / (w + pad) + 0.6))
    ax = fig.add_axes((0, 0, 1, 1 - 0.5 / fig.get_figheight()))
    ax.imshow(canvas, interpolation="nearest")
    for i, caption in enumerate(captions):
        r, c = divmod(i, columns)
        ax.text(c * (w + pad) + 2, r * (h + pad) + 2, caption, color="white", fontsize=6, va="top",
                bbox={"facecolor": "black", "alpha": 0.5, "pad": 1, "linewidth": 0})
    ax.axis("off")
    fig.suptitle(title, fontsize=9, y=1 - 0.15 / fig.get_figheight(), va="top")
    return fig


def _index(view: UnitView) -> int:
    return view.slice_index if view.slice_index is not None else view.ct.shape[2] // 2


def collage(views: Sequence[UnitView], title: str, columns: int = 5) -> Figure:
    """A grid (5 x 5 for 25 views) of each view's chosen slice, on a shared colour scale."""
    vmax = max([float(v.activation.max()) for v in views] + [1e-6])
    tiles = [render_slice(v, _index(v), vmax) for v in views]
    return _montage(tiles, [v.caption for v in views], columns, title)


def all_slices(view: UnitView, title: str) -> Figure:
    """Every sagittal slice of one sample through one unit."""
    n = view.ct.shape[2]
    vmax = max(float(view.activation.max()), 1e-6)
    tiles = [render_slice(view, i, vmax, scale=2) for i in range(n)]
    return _montage(tiles, [f"{i}" for i in range(n)], math.ceil(math.sqrt(n)), title, tile_inches=1.1)


def case_figure(case: Sequence[UnitView], references: Sequence[Sequence[UnitView]], title: str) -> Figure:
    """Single-inference view: per relevant unit (rows), the case's activation, then the unit's top
    images from the dataset."""
    columns = 1 + max([len(r) for r in references] + [0])
    tiles, captions = [], []
    blank = None
    for view, refs in zip(case, references, strict=True):
        vmax = max([float(v.activation.max()) for v in (view, *refs)] + [1e-6])
        tiles.append(render_slice(view, _index(view), vmax))
        captions.append(f"case: {view.caption}")
        blank = np.ones_like(tiles[-1])
        for c in range(columns - 1):
            if c < len(refs):
                tiles.append(render_slice(refs[c], _index(refs[c]), vmax))
                captions.append(refs[c].caption)
            else:
                tiles.append(blank)
                captions.append("")
    return _montage(tiles, captions, columns, title, tile_inches=2.2)
