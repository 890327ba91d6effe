"""ProtoVerse (Sinhamahapatra et al. 2024): grade F1, prototype diversity, source boxes and heatmap peaks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from spinexai.io import tables as T
from spinexai.study.claims import (
    CONFIRMED,
    NOT_MEASURED,
    Claim,
    Section,
    Tables,
    fmt,
    markdown_table,
    missing_folds,
    per_fold,
)


def _arms(cfg: dict) -> tuple[str, str | None, dict]:
    """(main arm, the ProtoPNet arm or None, every arm's settings)."""
    proto = cfg["prototypes"]
    arms = proto["arms"]
    settings = {name: {"model": o.get("model", "protoverse"), "diversity": o.get("diversity", proto.get("diversity"))}
                for name, o in arms.items()}
    main = proto.get("main_arm", "protoverse")
    if "protopnet" in arms:
        return main, "protopnet", settings
    zero = [n for n, s in settings.items() if s["model"] == "protoverse" and s["diversity"] == 0 and n != main]
    return main, (zero[0] if zero else None), settings


def _intra_cosine(cos: pd.DataFrame) -> dict[int, float]:
    same = cos[(cos.grade_a == cos.grade_b) & (cos.prototype_a != cos.prototype_b)]
    return per_fold(same, "cosine")


def prototypes_section(t: Tables, cfg: dict) -> Section:
    """Sinhamahapatra et al. 2024: class-average F1, prototype diversity, source boxes and heatmap peaks."""
    folds = range(cfg["folds"]["n_folds"])
    main, pnet, settings = _arms(cfg)
    size = int(cfg["prototypes"]["input_size"])
    sec = Section("prototypes", "ProtoVerse: Genant grading with prototypes", "Sinhamahapatra et al. 2024")
    f1 = Claim(f"Test class-average F1 (G0/G2/G3) of '{main}'", "67.97 % test (Table 1); 75.97 ± 4.80 % in 5-fold CV (Table 2)",
               ">= 0.75")
    cos = Claim(f"Mean intra-class prototype cosine of '{main}' below ProtoPNet's ('{pnet}') in every fold",
                "Figure 3: ProtoPNet's same-grade prototypes near-identical, ProtoVerse's diverse (no numbers printed)",
                "below in every fold", digits=4)
    border = Claim(f"No prototype's projection source box touches the image border ({size} px input)",
                   "Figure 4: prototypes on parts of the vertebra (qualitative)", "0 boxes")
    body = Claim("Top-1 prototype's heatmap peak inside the vertebral body, G2/G3 test vertebrae",
                 "Figures 5-6: heatmaps on the vertebral body (qualitative)", ">= 0.80")
    sec.claims = [f1, cos, border, body]

    arm_rows, by_arm = [], {}
    for arm in settings:
        m = t.folds(T.PROTO_METRICS, folds, arm=arm)
        if m is None:
            continue
        test = m[m.split == "test"]
        by_arm[arm] = per_fold(test, "class_f1")
        vals = np.array(list(by_arm[arm].values()))
        diversity = settings[arm]["diversity"] if settings[arm]["model"] == "protoverse" else "-"
        arm_rows.append({"arm": arm, "model": settings[arm]["model"], "diversity": diversity,
                         "class_f1 mean": float(np.nanmean(vals)) if len(vals) else float("nan"),
                         "class_f1 SD": float(np.nanstd(vals, ddof=1)) if len(vals) > 1 else float("nan"),
                         "class_accuracy mean": float(test.class_accuracy.mean()),
                         "sample_accuracy mean": float(test.sample_accuracy.mean()),
                         "per fold class_f1": ", ".join(f"f{k} {fmt(v)}" for k, v in sorted(by_arm[arm].items()))})
    if main in by_arm:
        f1.measure(by_arm[main], lambda m: m >= 0.75)
    else:
        f1.not_run(f"no {t.rel(T.PROTO_METRICS, arm=main, k='<k>')}")
    if arm_rows:
        table = pd.DataFrame(arm_rows)
        sec.text.append("Every arm on the held-out test split (mean over folds):\n\n" + markdown_table(table))
        sec.data["arms"] = table

    # Figure 3: intra-class cosine, from the summary or else the per-fold cosine tables.
    if pnet is None:
        cos.not_run("no ProtoPNet arm (model protoverse, diversity 0) in prototypes.arms")
    else:
        summary = t.read(T.PROTO_COSINE_SUMMARY)
        if summary is not None and {main, pnet} <= set(summary.arm):
            ours, theirs = (per_fold(summary[summary.arm == a], "intra_class_cosine") for a in (main, pnet))
            source = t.rel(T.PROTO_COSINE_SUMMARY)
        else:
            tabs = {a: t.folds(T.PROTO_COSINE, folds, arm=a) for a in (main, pnet)}
            ours, theirs = ({} if tabs[a] is None else _intra_cosine(tabs[a]) for a in (main, pnet))
            source = t.rel(T.PROTO_COSINE, arm="<arm>", k="<k>")
        paired = sorted(set(ours) & set(theirs))
        if not paired:
            cos.not_run(f"no cosine table for both '{main}' and '{pnet}'")
        else:
            cos.measure({k: ours[k] for k in paired}, None)
            below = [ours[k] < theirs[k] for k in paired]
            cos.decide(all(below))
            if cos.verdict == CONFIRMED and len(paired) < len(folds):
                cos.verdict = NOT_MEASURED  # "every fold" needs every fold
            cos.ours = (f"{fmt(cos.mean, 4)} ± {fmt(cos.sd, 4)} vs ProtoPNet {fmt(np.mean([theirs[k] for k in paired]), 4)}; "
                        f"below in {sum(below)}/{len(paired)} folds")
            cos.note = f"Per fold: ProtoVerse (ProtoPNet in brackets). Source: `{source}`." + (
                "" if len(paired) == len(folds) else f" Only folds {paired} have both arms.")
            cos.detail = {"protopnet": {k: theirs[k] for k in paired}}
            cos.folds_label = ", ".join(f"f{k} {fmt(ours[k], 4)} ({fmt(theirs[k], 4)})" for k in paired)

    # Source boxes against the border of the input image.
    projection = t.folds(T.PROTO_PROJECTION, folds, arm=main)
    if projection is None:
        border.not_run(f"no {t.rel(T.PROTO_PROJECTION, arm=main, k='<k>')}")
    else:
        touches = ((projection.box_row0 <= 0) | (projection.box_col0 <= 0) | (projection.box_row1 >= size)
                   | (projection.box_col1 >= size))
        by_fold = {int(k): int(v) for k, v in touches.groupby(projection.fold).sum().items()}
        border.measure({k: float(v) for k, v in by_fold.items()}, None)
        border.decide(int(touches.sum()) == 0)
        if border.verdict == CONFIRMED and set(projection.fold) != set(folds):
            border.verdict = NOT_MEASURED  # "no prototype" needs every fold's prototypes
        border.digits = 0
        border.ours = f"{int(touches.sum())} of {len(projection)} boxes touch the border"
        border.note = "Per fold: boxes touching the border." + missing_folds(projection, folds)
        border.detail = {"touching": int(touches.sum()), "boxes": len(projection)}

    # Top-1 peak in the vertebral body: needs a body column, which the tables may not have.
    top = t.folds(T.PROTO_TOP, folds, arm=main)
    loc = t.folds(T.PROTO_LOCALISATION, folds, arm=main)
    predictions = t.folds(T.PROTO_PREDICTIONS, folds, arm=main)
    body_cols = [c for c in ("peak_in_body",) if top is not None and c in top.columns]
    hit_note = ""
    if loc is not None:
        first = loc[(loc.split == "test") & (loc.method == "prototype1")]
        if len(first):
            rate = per_fold(first.assign(hit=first.hit.astype(float)), "hit")
            where = t.rel(T.PROTO_LOCALISATION, arm=main, k="<k>")
            hit_note = (f" Measured instead: the top-1 peak touches the true fracture region in "
                        f"{fmt(np.mean(list(rate.values())))} of G2/G3 test vertebrae (mean over folds; per fold "
                        + ", ".join(f"f{k} {fmt(v)}" for k, v in sorted(rate.items()))
                        + f"; `{where}`, method prototype1, column hit).")
            body.detail = {"fracture_hit_rate": rate}
    if top is None or predictions is None:
        body.not_run(f"no {t.rel(T.PROTO_TOP, arm=main, k='<k>')} or its predictions")
    elif not body_cols:
        body.not_measured("top3.parquet and localisation.parquet have no column saying whether a peak lies in the "
                          "vertebral body; needed: `peak_in_body` in prototype_top3 (1 if the heatmap peak pixel lies in "
                          "the vertebral-body mask reformation at the input size, 0 if not)." + hit_note)
    else:
        grades = predictions[["subject", "label", "fold", "split", "grade"]].drop_duplicates()
        first = top[(top["rank"] == 1) & (top.split == "test")].merge(grades, on=["subject", "label", "fold", "split"])
        first = first[first.grade >= 2].dropna(subset=[body_cols[0]])
        body.measure(per_fold(first, body_cols[0]), lambda m: m >= 0.80)
        body.note = hit_note.strip()
    return sec
