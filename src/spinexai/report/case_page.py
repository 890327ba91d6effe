"""A case page: one vertebra's images, every model's prediction, its concepts, its maps on the CT (with the
viewer), its morphometry, prototypes, counterfactual and ground truth."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd
from markupsafe import Markup

from spinexai.data.tensors import load_sagittal_stack
from spinexai.io.atomic import write_figure
from spinexai.labels import case_id
from spinexai.prototypes.figures import case_figure, upsample
from spinexai.report.case_figures import patch_figure, sagittal_figure
from spinexai.report.model import Block, Fig, Section, exists, read
from spinexai.report.sections.counterfactual import case_counterfactual
from spinexai.report.viewer import HALF_MM, WINDOW_HU, viewer_data, write_viewer_script


def case_prototypes(report, case, page_dir: Path, stem: str) -> Section:
    """The case's top-3 prototypes under its fold's main-arm model, with heatmaps and source patches."""
    section = Section("prototypes", "Top-3 prototypes (ProtoVerse)")
    main = report.prototypes.main_arm
    fold_dir = report.inputs.prototypes / main / f"fold{case.fold}" if report.inputs.prototypes else None
    if fold_dir is None or not exists(fold_dir / "similarity.npz"):
        section.empty = {"message": "The prototype stage has not run."}
        return section
    top = pd.read_parquet(fold_dir / "top3.parquet")
    mine = top[(top["subject"] == case.subject) & (top["label"] == case.label)].sort_values("rank")
    if mine.empty:
        section.empty = {"message": "This vertebra's grade is not one of the prototype model's classes "
                                    "(prototypes.grades), so it was not scored."}
        return section
    arrays = np.load(fold_dir / "similarity.npz")
    split = mine["split"].iloc[0]
    match = np.nonzero((arrays[f"{split}_subject"] == case.subject) & (arrays[f"{split}_label"] == case.label))[0]
    projection = pd.read_parquet(fold_dir / "projection.parquet").set_index("prototype")
    size = report.prototypes.input_size
    key = (report.patches["subject"] == case.subject) & (report.patches["label"] == case.label)
    image = load_sagittal_stack(report.patches[key].head(1), size).float().numpy()[0, 0]
    heats = upsample(arrays[f"{split}_similarity"][match[0]][mine["prototype"].to_numpy()], size)
    sources = []
    for j in mine["prototype"]:
        src = projection.loc[int(j)]
        img, heat = arrays["projection_images"][int(src.image_index)].astype(np.float32)
        sources.append((img, heat, (src.box_row0, src.box_row1, src.box_col0, src.box_col1)))
    titles = [f"#{r.rank} p{r.prototype} (G{r.prototype_grade})\nsim {r.similarity:.2f}" for r in mine.itertuples()]
    case_figure(image, list(heats), titles, page_dir / f"{stem}_prototypes.png", sources)
    section.blocks.append(Block(
        text=f"The {main} model of fold {case.fold}: the three prototypes most similar to this vertebra, their "
             "similarity, and their contribution (similarity x connection) to the predicted grade's logit.",
        table=mine[["rank", "prototype", "prototype_grade", "similarity", "contribution", "peak_in_fracture"]],
        figures=[Fig(f"{stem}_prototypes.png", "Top row: the case and each prototype's similarity heatmap on it. "
                                               "Bottom row: the training image each prototype was projected onto, "
                                               "with the box enclosing the top 2% of its similarity.")]))
    return section

def overlay_section(report, case, page_dir: Path) -> Section:
    """The case's maps written onto the source CT's voxel grid (case_overlays, explain_concepts)."""
    section = Section("overlays", "Maps on the source CT (NIfTI overlays)")
    folder = report.overlay_dir(case)
    index = read(folder / "overlays.parquet")
    rows = [] if index is None else [
        {"method": r.method, "file": report.rel(folder / r.file, page_dir) if r.file else "-",
         "map": r.description, "note": r.note or f"from a {r.source_grid} grid"} for r in index.itertuples()]
    units = report.relevance_dir(case) / "units_ct.nii.gz" if report.relevance_dir(case) is not None else None
    if exists(units):
        rows.append({"method": "dissection", "file": report.rel(units, page_dir),
                     "map": "r_k-weighted map of the case's most relevant units (3D classifier)", "note": "3D"})
    gradcam = units.parent / "gradcam3d_ct.nii.gz" if units is not None else None
    if exists(gradcam):
        rows.append({"method": "gradcam3d", "file": report.rel(gradcam, page_dir),
                     "map": "Grad-CAM of the 3D classifier's fracture logit at its last encoder block", "note": "3D"})
    if not rows:
        section.empty = {"message": "No map of this case was written onto the CT grid."}
        return section
    viewer = viewer_block(report, case, page_dir, {r["method"]: page_dir / r["file"] for r in rows if r["file"] != "-"})
    if viewer is not None:
        section.blocks.append(viewer)
    section.blocks.append(Block(
        text="Each file has the source CT's shape and affine: open the CT in 3D Slicer or ITK-SNAP and add the "
             "file as an overlay, with no registration. 2D maps lie on the curved mid-sagittal sheet they were "
             "sampled from (one voxel thick); the 3D map fills the classifier's input patch.",
        table=pd.DataFrame(rows)))
    return section

def viewer_block(report, case, page_dir: Path, maps: dict[str, Path]) -> Block | None:
    """The CT around the vertebra with its maps, in the page's embedded viewer (NiiVue)."""
    ct_path = report.case_ct(case)
    if ct_path is None or not maps:
        return None
    key = report.case_page_name(case).removesuffix(".html")
    row = report.patches[(report.patches["subject"] == case.subject) & (report.patches["label"] == case.label)].iloc[0]
    centre = np.array([row["centroid_x"], row["centroid_y"], row["centroid_z"]], float)
    volumes = viewer_data(ct_path, {m: p.resolve() for m, p in maps.items()}, centre)
    write_viewer_script(page_dir / f"{key}_viewer.js", key, volumes)
    first = next((n for n, m in enumerate(volumes["maps"]) if m["name"] == "dissection"), 0)  # 3D: seen in every view
    options = "".join(f'<option value="{n}"{" selected" if n == first else ""}>{html.escape(m["name"])} '
                      f'({m["voxels"]} voxels)</option>' for n, m in enumerate(volumes["maps"]))
    assets = report.rel(report.out / "assets", page_dir)
    widget = Markup(
        f'<div class="spinexai-viewer" data-volumes="{html.escape(key)}">'
        f'<p><label>Map <select>{options}</select></label> <label>opacity '
        '<input type="range" min="0" max="1" step="0.05" value="0.5"></label></p>'
        '<div style="width: 100%; max-width: 1100px; height: 440px"><canvas></canvas></div>'
        '<p class="viewer-status muted">Loading the viewer...</p></div>'
        f'<script src="{assets}/niivue.umd.js"></script><script src="{key}_viewer.js"></script>'
        f'<script src="{assets}/viewer.js"></script>')
    return Block(heading="Viewer", html=widget, text=(
        f"The source CT within {HALF_MM:g} mm of the vertebra's centre, on its own voxel grid (shown in the "
        f"{WINDOW_HU[0]:g} to {WINDOW_HU[1]:g} HU window), with one map at a "
        "time (NiiVue; works offline from the file system). Click or scroll in a view to move through the slices."))

def case_page(report, case, page_dir: Path) -> str:
    key = (report.patches["subject"] == case.subject) & (report.patches["label"] == case.label)
    row = report.patches[key].iloc[0]
    stem = f"fold{case.fold}_{case_id(case.subject, case.label)}"
    hrow = None
    if report.heights is not None:
        match = report.heights[(report.heights["subject"] == case.subject) & (report.heights["label"] == case.label)]
        hrow = match.iloc[0] if len(match) else None
    write_figure(sagittal_figure(row, hrow), page_dir / f"{stem}_sagittal.png")
    write_figure(patch_figure(row), page_dir / f"{stem}_patch.png")
    verdict = report.case_verdict(case, row)
    sections = []

    images = Section("images", "Images", [Block(figures=[
        Fig(f"{stem}_sagittal.png", "Straightened mid-sagittal reformation (0.5 mm) with the vertebral body outlined "
                                    "(blue), the true fracture region where known (red) and the six morphometry points."),
        Fig(f"{stem}_patch.png", "Centre slices of the 96³ 1 mm patch the 3D classifier reads (a 64 mm centre crop).")])])
    sections.append(images)

    preds = Section("predictions", "Predictions of every model")
    if report.predictions is not None:
        p = report.predictions[(report.predictions["subject"] == case.subject) & (report.predictions["label"] == case.label)]
        preds.blocks.append(Block(text="3D classifier: every fold model that scored this vertebra.",
                                  table=p[["fold", "split", "probability", "prediction"]]))
    else:
        preds.empty = {"message": "The 3D classifier has not run."}
    proto_predictions = read(report.inputs.prototypes / "predictions.parquet") if report.inputs.prototypes else None
    if proto_predictions is not None:
        p = proto_predictions[(proto_predictions["subject"] == case.subject) & (proto_predictions["label"] == case.label)]
        preds.empty = None
        preds.blocks.append(Block(
            text="Genant grade (prototype models and their baseline): every fold model and arm that scored this "
                 "vertebra; G1 vertebrae are not graded by these models." if len(p) else
                 "Genant grade models: this vertebra's grade is not one of their classes (prototypes.grades).",
            table=p[["arm", "fold", "split", "p_grade0", "p_grade2", "p_grade3", "predicted_grade"]] if len(p) else None))
    sections.append(preds)

    relevance_dir = report.relevance_dir(case)
    concepts = Section("concepts", "Most relevant concept units (network dissection)")
    relevance = read(relevance_dir / "relevance.parquet") if relevance_dir is not None else None
    if relevance is not None:
        top = relevance.head(report.dissection.case_units)
        named = [f"unit {u.unit} ({u.best_concept or 'no concept'})" for u in top.itertuples() if u.enabled]
        verdict += (" Most relevant units: " + ", ".join(named) + ".") if named else " No unit passes its threshold here."
        overlay = relevance_dir / "units_ct.nii.gz"
        overlay_text = (f" The r_k-weighted map of these units on the source CT's voxel grid (open it over the CT "
                        f"in 3D Slicer or ITK-SNAP): {report.rel(overlay, page_dir)}." if exists(overlay) else "")
        concepts.blocks.append(Block(
            text="r_k = sum of the unit's above-threshold activation on this case; rank_tp is the unit's rank among "
                 "units correlated with true positives; best_concept its anatomical label." + overlay_text,
            table=top, figures=[report.fig(relevance_dir / "concepts.png", "Left: each relevant unit on this case "
                                         "(activation in colour, above-threshold region outlined); right: the unit's "
                                         "top fractured samples in the dissection set.", page_dir)]))
    else:
        concepts.empty = {"message": "Network dissection did not explain this case."}
    sections.append(concepts)
    sections.append(overlay_section(report, case, page_dir))

    morph = Section("morphometry", "Genant morphometry")
    if hrow is not None and hrow["status"] == "measured":
        cols = ["ha", "hm", "hp", "apr", "mpr", "mar", "expected_source", "genant_grade", "genant_morphology",
                "genant_loss", "true_ha", "true_hm", "true_hp", "point_error_mm"]
        morph.blocks.append(Block(text="Heights in mm from the body mask; the reading compares them with the expected "
                                       "heights (expected_source: own or neighbours).",
                                  table=pd.DataFrame([hrow[cols]])))
        kp = read(Path(report.inputs.keypoints).parent / "predictions.parquet") if exists(report.inputs.keypoints) else None
        if kp is not None:
            mine = kp[(kp["subject"] == case.subject) & (kp["label"] == case.label)]
            morph.blocks.append(Block(
                text="Keypoint model (XVFA): every fold model and arm that scored this vertebra; point error against "
                     "the mask-derived points, interval = mean half-width of the keypoints' quantile intervals.",
                table=mine[["fold", "arm", "split", "p_fracture", "p_moderate", "predicted_grade",
                            "predicted_morphology", "point_error_mm", "interval_mm", "ha", "hm", "hp"]]))
    else:
        morph.empty = {"message": "No morphometry for this vertebra (no body mask, or the stage has not run)."}
    sections.append(morph)
    sections.append(case_prototypes(report, case, page_dir, stem))
    sections.append(case_counterfactual(report, case, page_dir, stem))
    gt = pd.DataFrame([{"grade": case.grade, "fracture": bool(case.fracture), "morphology": row.get("morphology", ""),
                        "fracture region": "outlined in red" if row.get("sag_fracture") else "not available"}])
    sections.append(Section("truth", "Ground truth", [Block(table=gt)]))
    return report.env.get_template("case.html.j2").render(
        title=report.case_title(case), home="../index.html", verdict=verdict,
        sections=sections)

# -- all pages --------------------------------------------------------------------------------------
