"""Saved models and finished training stages: the one place that writes and reads them.

A model is two files: ``model.pt``, a plain state dict (loaded with ``weights_only=True``), and
``model.json`` beside it, which says what built the weights: the model kind, the parameters of its
config section and the reformatting its inputs came from. A finished stage of a multi-stage
training (``done.pt``) holds the model's state and the stage's history, so a rerun skips it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from spinexai.errors import InputError
from spinexai.io.atomic import atomic_path, write_text_atomic
from spinexai.io.nifti import read_header

log = logging.getLogger(__name__)
FORMAT = 1


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


def save_model(state: dict[str, torch.Tensor], path: str | Path, kind: str, params: Any,
               inputs: dict | None = None, **meta: Any) -> None:
    """Write the weights and their card atomically. ``params``: the config section (a dataclass or a
    dict) that builds the model; ``inputs``: the reformat settings its training data came from;
    ``meta``: what else identifies it (fold, arm)."""
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
    card = {"format": FORMAT, "kind": kind, "params": _plain(params), "inputs": dict(inputs or {}), **meta}
    write_text_atomic(card_path(path), json.dumps(card, indent=1, sort_keys=True, default=list) + "\n")


def load_state(path: str | Path, device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
    """A state dict written by this pipeline (``weights_only=True``); an unreadable file names itself."""
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except FileNotFoundError:
        raise InputError(path, None, "model file not found") from None
    except Exception as err:  # torch raises pickle, zip and runtime errors for a foreign or broken file
        raise InputError(path, None, f"not a model saved by spinexai ({type(err).__name__}: "
                                     f"{str(err).splitlines()[0] if str(err) else ''})") from None


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


def load_into(model: torch.nn.Module, path: str | Path, device: torch.device | str = "cpu") -> torch.nn.Module:
    """Load saved weights into ``model`` (eval mode); weights of another architecture give one clear line."""
    try:
        model.load_state_dict(load_state(path, device))
    except RuntimeError as err:
        raise InputError(path, None, f"does not fit {model.__class__.__name__} under the current config "
                                     f"({str(err).splitlines()[0]})") from None
    return model.to(device).eval()


def save_stage(folder: str | Path, payload: dict) -> None:
    """Mark a training stage finished: ``folder/done.pt`` with the model state, history and extras."""
    with atomic_path(Path(folder) / "done.pt") as tmp:
        torch.save(payload, tmp)


def finished_stage(folder: str | Path, device: torch.device | str = "cpu") -> dict | None:
    """The payload of a finished stage, or None when the stage has not finished."""
    done = Path(folder) / "done.pt"
    if not done.exists():
        return None
    return load_state(done, device)
