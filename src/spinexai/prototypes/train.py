"""Training of one fold and arm with the shared engine.

The prototype network follows ProtoPNet's schedule: warm-up (add-on layers and prototypes only),
then ``pushes`` cycles of joint training (backbone, add-on, prototypes; the last layer stays at its
1 / -0.5 initialisation), projection, and last-layer-only optimisation with L1 on the off-class
connections. Every stage is an :class:`Engine` run with its own checkpoint folder, and a finished stage
leaves a ``done.pt``, so a killed job resumes inside the stage it was in. The model kept is the
post-projection model of the cycle with the best validation class-average F1 (its prototypes are
always projected, so every prototype is a real image patch).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from spinexai.data.folds import fold_parts
from spinexai.data.images2d import ImageSet, image_set
from spinexai.errors import InputError
from spinexai.metrics import multiclass_metrics
from spinexai.models.classifier2d import BaselineNet
from spinexai.models.vgg import load_vgg11_weights
from spinexai.prototypes.data import augment
from spinexai.prototypes.losses import (
    cluster_and_separation,
    diversity_loss,
    last_layer_l1,
    weighted_cross_entropy,
)
from spinexai.prototypes.network import PrototypeNet, build_model, logits_of
from spinexai.prototypes.params import ProtoParams
from spinexai.prototypes.projection import push_prototypes
from spinexai.train import Engine, EngineConfig, pick_device
from spinexai.train.batchnorm import recalibrate_batchnorm
from spinexai.train.inference import batched
from spinexai.train.saving import finished_stage, load_state, save_stage
from spinexai.train.weights import class_weights

log = logging.getLogger(__name__)


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Class probabilities for ``x`` in eval mode, batch by batch."""
    model.eval()
    return batched(lambda xb: logits_of(model(xb)).float().softmax(-1), x, batch_size)


def prototype_loss(model: PrototypeNet, x: torch.Tensor, y: torch.Tensor, params: ProtoParams, weights: torch.Tensor,
                   last_layer_only: bool = False) -> torch.Tensor:
    """MWCE + cluster - separation + diversity (eq. 4); in the last-layer stage MWCE + L1."""
    out = model(x)
    loss = weighted_cross_entropy(out["logits"], y, weights)
    if last_layer_only:
        return loss + params.l1 * last_layer_l1(model.last_layer.weight, model.identity)
    cluster, separation = cluster_and_separation(out["min_distances"], y, model.prototype_class)
    loss = loss + params.cluster * cluster - params.separation * separation
    if params.diversity:
        loss = loss + params.diversity * diversity_loss(model.prototypes, model.prototype_class)
    return loss


def _trainable(model: nn.Module, modules: Iterable[nn.Module | nn.Parameter]) -> list[nn.Parameter]:
    model.requires_grad_(False)
    params = []
    for m in modules:
        if isinstance(m, nn.Parameter):
            m.requires_grad_(True)
            params.append(m)
        else:
            m.requires_grad_(True)
            params += list(m.parameters())
    return params


class FoldTrainer:
    """Holds the fold's device data and runs the stages of one arm."""

    def __init__(self, rows: pd.DataFrame, folds: pd.DataFrame, fold: int, params: ProtoParams,
                 state_dir: str | Path, init: str | Path | None = None) -> None:
        self.params, self.fold = params, fold
        self.device = pick_device(params.device)
        self.state_dir = Path(state_dir)
        parts = fold_parts(rows, folds, fold)
        self.train = image_set(parts["train"], params, self.device)
        self.val = image_set(parts["val"], params, self.device)
        counts = np.bincount(self.train.y.cpu().numpy(), minlength=params.n_classes)
        self.weights = class_weights(counts, params.class_weighting).to(self.device)
        log.info("fold %d, %s: %d training (per class %s), %d validation images on %s; class weights %s", fold,
                 params.model, len(self.train.y), counts.tolist(), len(self.val.y), self.device,
                 [round(float(w), 4) for w in self.weights])
        torch.manual_seed(params.seed + fold)
        self.model = build_model(params).to(self.device)
        if params.pretrained:
            load_vgg11_weights(self.model.backbone, params.pretrained)
        if init:
            load_backbone(self.model, init)
            log.info("backbone initialised from %s (the same fold's training subjects)", init)
        self.history: list[pd.DataFrame] = []

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        if self.params.precise_bn:  # before the engine keeps a best state, so saved models carry these statistics
            recalibrate_batchnorm(model, self.train.x, self.params.batch_size)
        if not len(self.val.y):
            return {"class_f1": float("nan")}
        p = predict(model, self.val.x, self.params.batch_size)
        metrics = multiclass_metrics(self.val.y.cpu().numpy(), p.argmax(-1).cpu().numpy())
        loss = weighted_cross_entropy(p.clamp_min(1e-12).log(), self.val.y, self.weights)
        return {"class_f1": metrics["class_f1"], "class_accuracy": metrics["class_accuracy"],
                "sample_accuracy": metrics["sample_accuracy"], "loss": float(loss)}

    def _batches(self, data: ImageSet):
        def batches(epoch: int, generator: torch.Generator):
            order = torch.randperm(len(data.y), generator=generator, device=self.device)
            for start in range(0, len(order), self.params.batch_size):
                idx = order[start:start + self.params.batch_size]
                yield augment(data.x[idx], self.params, generator), data.y[idx]
        return batches

    def _stage(self, index: int, name: str, epochs: int, optimizer_groups: list[dict], loss_fn,
               keep_best: bool = False, patience: int | None = None, schedule: str = "constant") -> float:
        """Run (or resume, or skip when done) one stage; returns its final validation class-average F1."""
        state = finished_stage(self.state_dir / name, self.device)
        if state is not None:
            self.model.load_state_dict(state["model"])
            self.history.append(pd.DataFrame(state["history"]))
            log.info("fold %d: reusing finished stage %s (%d epochs) from %s", self.fold, name,
                     len(state["history"].get("epoch", [])), self.state_dir / name)
            return float(state["class_f1"])
        optimizer = torch.optim.Adam(optimizer_groups)
        scheduler = None
        if schedule == "cosine":
            steps = epochs * math.ceil(len(self.train.y) / self.params.batch_size)
            scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
        config = EngineConfig(epochs, patience or epochs + 1, self.params.seed + 1000 * self.fold + index, "class_f1", "max",
                              autocast=self.params.autocast)
        engine = Engine(self.model, optimizer, config, self.state_dir / name, self.device, scheduler)
        history = pd.DataFrame(engine.fit(self._batches(self.train), loss_fn, self.evaluate)).assign(stage=name)
        if keep_best and engine.best_state is not None:
            self.model.load_state_dict(engine.best_state)
        value = float(self.evaluate(self.model)["class_f1"])
        self.history.append(history)
        save_stage(self.state_dir / name, {"model": self.model.state_dict(), "history": history.to_dict("list"),
                                           "class_f1": value})
        return value

    def fit_baseline(self) -> dict[str, torch.Tensor]:
        p = self.params
        model: BaselineNet = self.model
        groups = [{"params": _trainable(model, [model]), "lr": p.lr_baseline}]
        self._stage(0, "baseline", p.baseline_epochs, groups,
                    lambda net, batch: weighted_cross_entropy(net(batch[0]), batch[1], self.weights), keep_best=True,
                    patience=p.patience, schedule=p.baseline_schedule)
        return model.state_dict()

    def fit_prototypes(self) -> tuple[dict[str, torch.Tensor], pd.DataFrame]:
        p = self.params
        model: PrototypeNet = self.model

        def joint_loss(net, batch):
            return prototype_loss(net, batch[0], batch[1], p, self.weights)

        def last_loss(net, batch):
            return prototype_loss(net, batch[0], batch[1], p, self.weights, last_layer_only=True)

        self._stage(0, "warm", p.warmup_epochs,
                    [{"params": _trainable(model, [model.add_on]), "lr": p.lr_add_on},
                     {"params": _trainable_extra(model.prototypes), "lr": p.lr_prototypes}], joint_loss)
        best, best_state, projection = -np.inf, None, pd.DataFrame()
        for cycle in range(p.pushes):
            _trainable(model, [model.backbone, model.add_on, model.prototypes])
            self._stage(1 + 3 * cycle, f"joint{cycle}", p.joint_epochs,
                        [{"params": list(model.backbone.parameters()), "lr": p.lr_features},
                         {"params": list(model.add_on.parameters()), "lr": p.lr_add_on},
                         {"params": [model.prototypes], "lr": p.lr_prototypes}], joint_loss)
            pushed = self._push(cycle)
            value = self._stage(3 + 3 * cycle, f"last{cycle}", p.last_layer_epochs,
                                [{"params": _trainable(model, [model.last_layer]), "lr": p.lr_last_layer}], last_loss,
                                keep_best=True)
            log.info("cycle %d: validation class-average F1 %.4f after projection and last-layer optimisation", cycle, value)
            if best_state is None or value > best:
                best, best_state, projection = value, {k: v.clone() for k, v in model.state_dict().items()}, pushed
        model.load_state_dict(best_state)
        return best_state, projection

    def _push(self, cycle: int) -> pd.DataFrame:
        folder = self.state_dir / f"push{cycle}"
        state = finished_stage(folder, self.device)
        if state is not None:
            self.model.load_state_dict(state["model"])
            log.info("fold %d: reusing finished stage push%d (prototype projection) from %s", self.fold, cycle, folder)
            return pd.DataFrame(state["projection"])
        projection = push_prototypes(self.model, self.train.x, self.train.y, self.params.batch_size)
        save_stage(folder, {"model": self.model.state_dict(), "projection": projection.to_dict("list")})
        return projection

    def history_table(self) -> pd.DataFrame:
        return pd.concat(self.history, ignore_index=True) if self.history else pd.DataFrame()


def load_backbone(model: nn.Module, path: str | Path) -> None:
    """Copy the ``backbone.*`` weights of a saved model (the baseline arm of the same fold) into ``model``:
    the offline stand-in for the paper's ImageNet start, from which a prototype layer on a random
    backbone collapses."""
    state = load_state(path)
    backbone = {k.removeprefix("backbone."): v for k, v in state.items() if k.startswith("backbone.")}
    try:
        model.backbone.load_state_dict(backbone)
    except RuntimeError as err:
        raise InputError(path, "backbone", f"does not fit this arm's backbone ({str(err).splitlines()[0]})") from None


def _trainable_extra(parameter: nn.Parameter) -> list[nn.Parameter]:
    parameter.requires_grad_(True)
    return [parameter]


def train_prototype_fold(rows: pd.DataFrame, folds: pd.DataFrame, fold: int, params: ProtoParams,
                         state_dir: str | Path, init: str | Path | None = None) -> tuple[dict[str, torch.Tensor], pd.DataFrame]:
    """Train one fold of an arm (``params`` already has the arm's settings); returns (weights, history).
    ``init``: a saved model whose backbone starts a prototype arm (``prototypes.init_from``)."""
    trainer = FoldTrainer(rows, folds, fold, params, state_dir, init if params.model == "protoverse" else None)
    if params.model == "baseline":
        state = trainer.fit_baseline()
    else:
        state, _ = trainer.fit_prototypes()
    trainer.model.requires_grad_(True)
    return state, trainer.history_table()
