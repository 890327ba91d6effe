"""Model cards: ``model.json`` beside a saved ``model.pt``, saying what built the weights (the model
kind, the parameters of its config section, the reformatting its inputs came from). Free of torch:
the workflow reads cards while parsing the Snakefile."""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from spinexai.errors import InputError
from spinexai.io.nifti import read_header

FORMAT = 1


def card_text(kind: str, params: Any, inputs: dict | None = None, **meta: Any) -> str:
    """The card's JSON text. ``params``: the config section (a dataclass or a dict) that builds the
    model; ``inputs``: the reformat settings its training data came from; ``meta``: what else
    identifies it (fold, arm)."""
    body = {"format": FORMAT, "kind": kind, "params": _plain(params), "inputs": dict(inputs or {}), **meta}
    return json.dumps(body, indent=1, sort_keys=True, default=list) + "\n"


def card_path(path: str | Path) -> Path:
    """``model.json`` beside ``model.pt``."""
    return Path(path).with_suffix(".json")


def _plain(params: Any) -> dict:
    return asdict(params) if is_dataclass(params) else dict(params or {})


def input_geometry(rows: pd.DataFrame, columns: tuple[str, ...] = ("ct_patch", "sag_ct")) -> dict:
    """Shape and voxel spacing (mm) of the reformatted images a model was trained on, read from the
    first row's files: what new data must match for the model to apply."""
    out = {}
    for column in columns:
        if column in rows and len(rows) and rows[column].iloc[0]:
            header = read_header(rows[column].iloc[0])
            out[column] = {"shape": [int(n) for n in header.shape],
                           "spacing_mm": [round(float(s), 4) for s in header.spacing]}
    return out


def load_card(path: str | Path) -> dict:
    """The card of ``path`` (the weights or the card itself)."""
    card = card_path(path)
    if not card.exists():
        raise InputError(card, None, f"no model card beside {Path(path).name}: saved by an older spinexai or "
                                     "copied without it (retrain, or copy model.json with model.pt)")
    try:
        data = json.loads(card.read_text())
    except json.JSONDecodeError as err:
        raise InputError(card, None, f"not valid JSON ({err})") from None
    for key in ("format", "kind", "params"):
        if key not in data:
            raise InputError(card, key, "missing from the model card")
    return data
