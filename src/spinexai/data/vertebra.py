"""One vertebra as the stages read it: who it is, its labels, its reformatted files and their geometry.

A row of ``patches.parquet`` names the files; :class:`Vertebra` answers the geometric questions about
them once (the world grid of a model's input, points in the reformation's normalised coordinates), so
that no consumer works out a crop's affine or a reformation's field of view for itself. Headers are
read on first use and kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from spinexai.geometry.sampling import input_grid_affine
from spinexai.io.nifti import ImageHeader, read_header
from spinexai.labels import case_id


@dataclass(frozen=True, eq=False)
class Vertebra:
    """An included vertebra (a ``patches.parquet`` row; see ``docs/tables.md``, ``patches``)."""

    row: pd.Series

    @classmethod
    def of(cls, row) -> Vertebra:
        """From a ``patches`` row as a Series or as an ``itertuples`` record."""
        return cls(row if isinstance(row, pd.Series) else pd.Series(row._asdict()))

    @property
    def subject(self) -> str:
        return str(self.row["subject"])

    @property
    def label(self) -> int:
        return int(self.row["label"])

    @property
    def case_id(self) -> str:
        return case_id(self.subject, self.label)

    @cached_property
    def patch(self) -> ImageHeader:
        """The 3D CT patch's geometry (1 mm, centred on the centroid, axes along the spline frame)."""
        return read_header(self.row["ct_patch"])

    @cached_property
    def sagittal(self) -> ImageHeader:
        """The mid-sagittal reformation's geometry (its tangent plane at the centre; rows, columns, 1)."""
        return read_header(self.row["sag_ct"])

    def patch_input_affine(self, crop: int, size: int) -> np.ndarray:
        """World affine of the 3D classifier's input: the patch's central ``crop``^3 voxels area-reduced
        to ``size``^3 (``data.tensors.load_patch_stack``)."""
        return input_grid_affine(self.patch.affine, self.patch.shape[:3], (crop,) * 3, (size,) * 3)

    def sagittal_input_affine(self, size: int) -> np.ndarray:
        """World affine of a 2D model's ``size``^2 input (the whole reformation, area-resized). Exact along
        the centre row, approximate elsewhere on the curved sheet."""
        shape = self.sagittal.shape[:2]
        return input_grid_affine(self.sagittal.affine, (*shape, 1), (*shape, 1), (size, size, 1))

    def sagittal_normalised(self, world: np.ndarray) -> np.ndarray:
        """World points (n, 3) as (row, column) in the reformation's normalised coordinates: -1 and 1 at
        the outer edges of the first and last pixel (``align_corners=False``)."""
        size = np.asarray(self.sagittal.shape[:2], float)
        return (2 * self.sagittal.world_to_voxel(world)[:, :2] + 1) / size - 1

    @property
    def sagittal_half_fov_mm(self) -> float:
        """Millimetres per normalised unit along the reformation's rows (half its field of view)."""
        return float(self.sagittal.shape[0] * self.sagittal.spacing[0] / 2)


def vertebrae(rows: pd.DataFrame) -> list[Vertebra]:
    """Every row of a ``patches``-shaped frame as a :class:`Vertebra`, in order."""
    return [Vertebra(row) for _, row in rows.iterrows()]
