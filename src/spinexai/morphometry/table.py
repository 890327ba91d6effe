"""The cohort's mask-derived morphometry table, with the generator's truth where it exists.

The Genant reading takes each vertebra's expected heights from ``genant.expected_heights``: its own
largest height, or the nearest unfractured neighbours' heights (same subject) scaled by level.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd

from spinexai.genant import classify, expected_heights_table, heights_from_points
from spinexai.io.nifti import read_image
from spinexai.io.tables import MORPHOMETRY
from spinexai.morphometry.points import six_points, to_world

log = logging.getLogger(__name__)
_POS = ("a", "m", "p")


def _truth(path: str, label: int) -> dict | None:
    if not path:
        return None
    for v in json.loads(open(path).read())["vertebrae"]:
        if v["label"] == label:
            return v
    return None


def morphometry_table(patches: pd.DataFrame, splines: dict[str, pd.DataFrame], *, size: int, spacing: float) -> pd.DataFrame:
    """One row per included vertebra with a body reformation: heights, ratios, Genant reading, points."""
    rows = []
    for r in patches[(patches["status"] == "included") & (patches["sag_body"] != "")].itertuples():
        mask, _ = read_image(r.sag_body, dtype=np.int16)
        pts = six_points(mask[..., 0] == r.label)
        record = {"subject": r.subject, "label": r.label, "level": r.level, "grade": r.grade,
                  "morphology": r.morphology, "status": "measured" if pts is not None else "no body in the reformation"}
        if pts is not None:
            world = to_world(pts, splines[r.subject], r.s, np.array([r.centroid_x, r.centroid_y, r.centroid_z]),
                             size, spacing)
            h = heights_from_points(world)
            record.update(ha=h[0], hm=h[1], hp=h[2], apr=h[0] / h[2], mpr=h[1] / h[2], mar=h[1] / h[0])
            for e, edge in enumerate(("sup", "inf")):
                for k, pos in enumerate(_POS):
                    for a, axis in enumerate("xyz"):
                        record[f"{edge}_{pos}_{axis}"] = world[e, k, a]
            truth = _truth(r.truth_path, r.label)
            if truth is not None:
                true_pts = np.array([truth["points_mm"]["superior"], truth["points_mm"]["inferior"]])
                record.update(true_ha=truth["heights_mm"][0], true_hm=truth["heights_mm"][1], true_hp=truth["heights_mm"][2],
                              point_error_mm=float(np.linalg.norm(world - true_pts, axis=-1).mean()))
        rows.append(record)
    table = pd.DataFrame(rows).reindex(columns=MORPHOMETRY.names)
    return genant_readings(table)


def genant_readings(table: pd.DataFrame) -> pd.DataFrame:
    """Fill the expected heights, their source and the Genant reading of every measured row."""
    table = table.copy()
    expected = expected_heights_table(table)  # unmeasured rows have no heights: no reading
    readings = [classify(tuple(h), tuple(e)) if source else None for h, e, source in
                zip(table[["ha", "hm", "hp"]].to_numpy(float), expected.iloc[:, :3].to_numpy(float),
                    expected["expected_source"], strict=True)]
    table[expected.columns] = expected
    table["genant_grade"] = [np.nan if r is None else float(r.grade) for r in readings]
    table["genant_morphology"] = ["" if r is None else r.morphology for r in readings]
    table["genant_loss"] = [np.nan if r is None else r.loss for r in readings]
    return table
