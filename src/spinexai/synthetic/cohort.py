"""Writing synthetic subjects in the VerSe layout, plus the ground-truth extensions and cohort tables."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from spinexai.genant import heights_from_points
from spinexai.io.atomic import write_atomic, write_text_atomic
from spinexai.io.centroids import write_centroids
from spinexai.io.nifti import ImageHeader, write_image
from spinexai.labels import level_name
from spinexai.synthetic import fracture as fx
from spinexai.synthetic.params import SyntheticParams
from spinexai.synthetic.render import HU_MAX, HU_MIN, render_subject


def subject_paths(root: str | os.PathLike, subject: str) -> dict[str, Path]:
    root = Path(root)
    raw, der = root / "rawdata" / f"sub-{subject}", root / "derivatives" / f"sub-{subject}"
    return {
        "ct": raw / f"sub-{subject}_ct.nii.gz",
        "vert": der / f"sub-{subject}_seg-vert_msk.nii.gz",
        "body": der / f"sub-{subject}_seg-body_msk.nii.gz",
        "fracture": der / f"sub-{subject}_seg-fx_msk.nii.gz",
        "centroids": der / f"sub-{subject}_seg-subreg_ctd.json",
        "morphometry": der / f"sub-{subject}_morphometry.json",
    }


def _round(points: np.ndarray) -> list:
    return np.round(np.asarray(points, float), 3).tolist()


def write_subject(root: str | os.PathLike, params: SyntheticParams, subject: str,
                  scanner_override: dict | None = None) -> dict[str, Path]:
    """Render subject ``synthNNN`` of the cohort and write its files; returns the written paths.

    ``scanner_override`` rescans the same anatomy on another grid (see ``render_subject``).
    """
    match = re.fullmatch(r"synth(\d+)", subject)
    if match is None:
        raise ValueError(f"'{subject}' is not a synthetic subject ID (synthNNN)")
    index = int(match.group(1))  # not bounded by n_subjects: the cohort size is not a content parameter
    rendered = render_subject(params, index, scanner_override)
    canvas = rendered.canvas
    paths = subject_paths(root, subject)
    ct = np.clip(np.rint(canvas.hu), HU_MIN, HU_MAX).astype(np.int16)
    write_image(paths["ct"], ct, canvas.affine)
    write_image(paths["vert"], canvas.vert, canvas.affine, label=True)
    write_image(paths["body"], canvas.body, canvas.affine, label=True)
    write_image(paths["fracture"], canvas.fracture, canvas.affine, label=True)
    header = ImageHeader(str(paths["ct"]), canvas.shape, canvas.affine, "int16")
    write_centroids(paths["centroids"], rendered.centroids, header)

    vertebrae = []
    by_label = {p.label: p for p in rendered.plans}
    for label in rendered.visible:
        plan = by_label[label]
        local = fx.six_points_local(plan)
        world = local @ plan.rotation.T + plan.centre
        f = plan.fracture
        vertebrae.append({
            "label": label,
            "level": level_name(label),
            "grade": int(f.get("grade", 0)),
            "morphology": f.get("morphology", "normal"),
            "crush_kind": f.get("crush_kind", ""),
            "height_loss": round(float(f.get("loss", 0.0)), 4),
            "endplates": f.get("side", ""),
            "acute": bool(f.get("acute", False)),
            "centroid_in_fov": label in rendered.centroids,
            "body_centre_mm": _round(plan.rotation @ fx.body_centre_local(plan) + plan.centre),
            "axes": {"right": _round(plan.rotation[:, 0]), "anterior": _round(plan.rotation[:, 1]),
                     "cranial": _round(plan.rotation[:, 2])},
            "points_mm": {"superior": _round(world[0]), "inferior": _round(world[1])},
            "heights_mm": _round(heights_from_points(local)),
            "expected_heights_mm": _round(fx.expected_heights(plan)),
            "body_size_mm": {"height": round(plan.height, 3), "depth": round(plan.depth, 3), "width": round(plan.width, 3)},
        })
    truth = {
        "subject": subject,
        "generator": {"seed": params.seed, "index": index},
        "scan": rendered.info,
        "point_order": "anterior, middle, posterior (10%, 50%, 90% of the body depth from the front)",
        "vertebrae": vertebrae,
    }
    write_text_atomic(paths["morphometry"], json.dumps(truth, indent=1) + "\n")
    return paths


def write_cohort_tables(root: str | os.PathLike, subjects: list[str]) -> tuple[Path, Path]:
    """The VerSe-style wide grade sheet and the long morphology table from the subjects' ground truth."""
    root = Path(root)
    wide, long = [], []
    for subject in subjects:
        truth = json.loads(subject_paths(root, subject)["morphometry"].read_text())
        row = {"verse_ID": subject, "subject_ID": subject,
               "N_Fx": sum(v["grade"] > 0 for v in truth["vertebrae"])}
        for v in truth["vertebrae"]:
            row[f"{v['level']}_fx-g"] = v["grade"]
            long.append({"subject": subject, "label": v["label"], "grade": v["grade"], "morphology": v["morphology"]})
        wide.append(row)
    level_cols = sorted({c for r in wide for c in r if c.endswith("_fx-g")},
                        key=lambda c: (c[0] != "T", c[0] != "L", int(c[1:].split("_")[0])))
    wide_df = pd.DataFrame(wide, columns=["verse_ID", "subject_ID", "N_Fx", *level_cols])
    for col in level_cols:
        wide_df[col] = wide_df[col].astype("Int64")
    grading, morphology = root / "fracture_grading.csv", root / "fracture_morphology.csv"
    write_atomic(grading, lambda tmp: wide_df.to_csv(tmp, index=False))
    write_atomic(morphology, lambda tmp: pd.DataFrame(long, columns=["subject", "label", "grade", "morphology"]).to_csv(tmp, index=False))
    return grading, morphology
