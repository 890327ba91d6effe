"""The shared training loop: bf16 autocast (on GPU, and on a bf16-capable CPU when asked), a checkpoint
every epoch, resume after a kill, early stopping on a validation metric, the best checkpoint kept,
progress and a per-epoch history.

Randomness is derived from ``(seed, epoch)`` at the start of every epoch (batch order, augmentation,
dropout), so a run resumed from its last checkpoint repeats exactly what an uninterrupted run does.
Checkpoints live in a ``state_dir`` that is not a declared Snakemake output, so a failed job's
cleanup does not delete them.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from spinexai.io.atomic import atomic_path

log = logging.getLogger(__name__)


def pick_device(preference: str = "auto") -> torch.device:
    """'auto' takes the GPU when there is one; 'cpu' and 'cuda' force a choice."""
    if preference == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(preference)


AUTOCAST = ("cuda", "native", "never")


def cpu_has_bf16() -> bool:
    """Whether this CPU has bf16 instructions (AVX512-BF16 or AMX), which oneDNN uses under autocast."""
    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:  # an older torch without the probes
        return False


def use_autocast(mode: str, device: torch.device) -> bool:
    """bf16 autocast for ``mode``: ``cuda`` on a GPU only; ``native`` also on a CPU with bf16 instructions
    (training steps 1.1-1.8x faster on one core, ``python bench/precision.py``; fp32 on a CPU without them,
    where bf16 is emulated and slow); ``never``: fp32 always. Weights, optimizer state and checkpoints stay fp32."""
    if mode not in AUTOCAST:
        raise ValueError(f"autocast must be one of {', '.join(AUTOCAST)}, got {mode!r}")
    if mode == "never":
        return False
    return device.type == "cuda" or (mode == "native" and device.type == "cpu" and cpu_has_bf16())


def epoch_seed(seed: int, epoch: int) -> int:
    return (int(seed) * 1_000_003 + int(epoch) * 7919) % (2**63 - 1)


def stage_name(state_dir: str | os.PathLike) -> str:
    """A training stage's name for the log, from its state folder (see :attr:`Engine.stage`)."""
    parts = Path(state_dir).parts
    if "results" in parts:
        parts = parts[len(parts) - parts[::-1].index("results"):]
    kept = [p for p in parts if p not in ("state", "/") and not re.fullmatch(r"[0-9a-f]{16}", p)]
    return "/".join(kept[-4:]) or str(state_dir)


@dataclass(frozen=True)
class EngineConfig:
    epochs: int
    patience: int
    seed: int
    monitor: str = "f1"  # validation metric for early stopping and the best checkpoint
    mode: str = "max"
    autocast: str = "cuda"  # bf16 autocast: see :func:`use_autocast`
    max_grad_norm: float | None = None
    select_from: int = 0  # earlier epochs are neither kept as the best nor counted towards patience (a warm-up)


def channels_last(model: torch.nn.Module, enabled: bool = True) -> torch.nn.Module:
    """The model's 4D/5D weights in channels-last layout (NHWC / NDHWC), or back in the default layout
    with ``enabled=False``; in place.

    oneDNN runs the pipeline's convolutions 1.3-1.6x faster per training step in it on one CPU core
    (``python bench/layout.py``; cuDNN's bf16 kernels prefer it too, not measured here); the parameters
    stay the same objects, so an optimizer built before keeps working, and state dicts load into
    either layout.
    """
    dims = {p.dim() for p in model.parameters()} & {4, 5}
    if len(dims) == 1:
        last = torch.channels_last if dims == {4} else torch.channels_last_3d
        model.to(memory_format=last if enabled else torch.contiguous_format)
    return model


class Engine:
    """Runs ``fit`` for a model and optimizer, checkpointing to ``state_dir``."""

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, config: EngineConfig,
                 state_dir: str | os.PathLike, device: torch.device,
                 scheduler: torch.optim.lr_scheduler.LRScheduler | None = None) -> None:
        """``scheduler``, when given, steps after every batch (e.g. a cyclic learning rate)."""
        self.model, self.optimizer, self.config = model, optimizer, config
        self.scheduler = scheduler
        self.state_dir = Path(state_dir)
        self.device = device
        self.history: list[dict[str, Any]] = []
        self.best_value = -math.inf if config.mode == "max" else math.inf
        self.best_epoch = -1
        self.best_state: dict[str, torch.Tensor] | None = None
        self.bad_epochs = 0
        self.start_epoch = 0

    @property
    def stage(self) -> str:
        """The stage's name for the log: its state path without 'results', 'state' and parameter hashes
        (``results/prototypes/a/fold0/state/<hash>/warm`` -> ``prototypes/a/fold0/warm``)."""
        return stage_name(self.state_dir)

    @property
    def last_path(self) -> Path:
        return self.state_dir / "last.pt"

    def _better(self, value: float) -> bool:
        if math.isnan(value):
            return False
        return value > self.best_value if self.config.mode == "max" else value < self.best_value

    def save(self, epoch: int) -> None:
        state = {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(), "epoch": epoch,
                 "history": self.history, "best_value": self.best_value, "best_epoch": self.best_epoch,
                 "best_state": self.best_state, "bad_epochs": self.bad_epochs,
                 "scheduler": self.scheduler.state_dict() if self.scheduler is not None else {}}
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.last_path) as tmp:
            torch.save(state, tmp)

    def resume(self) -> bool:
        """Load the last checkpoint if there is one; returns whether training resumes."""
        if not self.last_path.exists():
            return False
        state = torch.load(self.last_path, map_location=self.device, weights_only=True)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler"):
            self.scheduler.load_state_dict(state["scheduler"])
        self.history = list(state["history"])
        self.best_value, self.best_epoch = float(state["best_value"]), int(state["best_epoch"])
        self.best_state, self.bad_epochs = state["best_state"], int(state["bad_epochs"])
        self.start_epoch = int(state["epoch"]) + 1
        stopped = " (already finished)" if self.start_epoch >= self.config.epochs or self.bad_epochs >= self.config.patience else ""
        log.info("resuming training stage %s at epoch %d of %d%s from %s", self.stage, self.start_epoch, self.config.epochs,
                 stopped, self.last_path)
        return True

    def fit(self, batches: Callable[[int, torch.Generator], Iterable[Any]],
            loss_fn: Callable[[torch.nn.Module, Any], torch.Tensor],
            evaluate: Callable[[torch.nn.Module], dict[str, float]]) -> list[dict[str, Any]]:
        """Train until ``epochs`` or early stopping; returns the history (one dict per epoch).

        The model trains in channels-last layout (:func:`channels_last`) and is handed back in the
        default layout, which code outside the engine (MONAI's CAMs among it) expects."""
        channels_last(self.model)
        try:
            return self._fit(batches, loss_fn, evaluate)
        finally:
            channels_last(self.model, enabled=False)

    def _fit(self, batches, loss_fn, evaluate) -> list[dict[str, Any]]:
        cfg = self.config
        self.resume()
        use_amp = use_autocast(cfg.autocast, self.device)
        done = self.bad_epochs >= cfg.patience
        bar = tqdm(range(self.start_epoch, cfg.epochs), desc="epochs", unit="epoch", initial=self.start_epoch,
                   total=cfg.epochs, mininterval=5, disable=done)
        for epoch in bar:
            if self.bad_epochs >= cfg.patience:
                break
            seed = epoch_seed(cfg.seed, epoch)
            torch.manual_seed(seed)
            generator = torch.Generator(device=self.device).manual_seed(seed)
            self.model.train()
            total, count = 0.0, 0
            for batch in batches(epoch, generator):
                self.optimizer.zero_grad(set_to_none=True)
                with torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=use_amp):
                    loss = loss_fn(self.model, batch)
                loss.backward()
                if cfg.max_grad_norm:
                    torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.max_grad_norm)
                self.optimizer.step()
                if self.scheduler is not None:
                    self.scheduler.step()
                total += float(loss.detach())
                count += 1
            self.model.eval()
            with torch.no_grad(), torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=use_amp):
                metrics = evaluate(self.model)
            value = float(metrics.get(cfg.monitor, float("nan")))
            eligible = epoch >= cfg.select_from
            improved = eligible and self._better(value)
            if improved:
                self.best_value, self.best_epoch, self.bad_epochs = value, epoch, 0
                self.best_state = copy.deepcopy(self.model.state_dict())
            elif eligible:
                self.bad_epochs += 1
            row = {"epoch": epoch, "train_loss": total / max(count, 1), **{f"val_{k}": v for k, v in metrics.items()},
                   "best": improved}
            self.history.append(row)
            self.save(epoch)
            bar.set_postfix({"loss": f"{row['train_loss']:.3f}", f"val_{cfg.monitor}": f"{value:.3f}"})
            log.info("epoch %d: loss %.4f, val %s %.4f%s", epoch, row["train_loss"], cfg.monitor, value,
                     " (best)" if improved else "")
        if self.best_state is None:
            self.best_state = copy.deepcopy(self.model.state_dict())
        return self.history
