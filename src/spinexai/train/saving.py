"""Saved models and finished training stages: the one place that writes and reads them.

A model is two files: ``model.pt``, a plain state dict (loaded with ``weights_only=True``), and
``model.json`` beside it, its card (``spinexai.io.cards``), which says what built the weights. A
finished stage of a multi-stage training (``done.pt``) holds the model's state and the stage's
history, so a rerun skips it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from spinexai.errors import InputError
from spinexai.io.atomic import atomic_path, write_text_atomic
from spinexai.io.cards import card_path, card_text


def save_model(state: dict[str, torch.Tensor], path: str | Path, kind: str, params: Any,
               inputs: dict | None = None, **meta: Any) -> None:
    """Write the weights and their card atomically. ``params``: the config section (a dataclass or a
    dict) that builds the model; ``inputs``: the reformat settings its training data came from;
    ``meta``: what else identifies it (fold, arm)."""
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
    write_text_atomic(card_path(path), card_text(kind, params, inputs, **meta))


def load_state(path: str | Path, device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
    """A state dict written by this pipeline (``weights_only=True``); an unreadable file names itself."""
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except FileNotFoundError:
        raise InputError(path, None, "model file not found") from None
    except Exception as err:  # torch raises pickle, zip and runtime errors for a foreign or broken file
        raise InputError(path, None, f"not a model saved by spinexai ({type(err).__name__}: "
                                     f"{str(err).splitlines()[0] if str(err) else ''})") from None


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
