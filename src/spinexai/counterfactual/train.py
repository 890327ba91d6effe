"""Training of one fold: the inpainter on healthy vertebrae (two phases) and the attribution network
(deletion game against the frozen classifier and inpainter), both with the shared engine. A finished
stage leaves ``done.pt`` in its state folder, so a killed job resumes inside the stage it was in."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import torch

from spinexai.counterfactual.attribution import AttributionNet, deletion_loss, p_fracture
from spinexai.counterfactual.inpainter import PConvUNet, inpainting_loss
from spinexai.counterfactual.masks import training_masks
from spinexai.counterfactual.models import (
    build_attribution,
    build_inpainter,
    fracture_score,
    inpaint_fn,
    load_classifier,
)
from spinexai.counterfactual.params import CounterfactualParams
from spinexai.data.folds import fold_parts
from spinexai.data.images2d import ImageSet, graded_rows, image_set
from spinexai.io.tables import FOLDS, PATCHES, read_table
from spinexai.models.params import Classifier2dParams
from spinexai.train import Engine, EngineConfig, pick_device
from spinexai.train.engine import stage_name
from spinexai.train.saving import finished_stage, load_into, save_stage

log = logging.getLogger(__name__)


def run_stage(model: torch.nn.Module, state_dir: Path, device: torch.device, optimizer: torch.optim.Optimizer,
              config: EngineConfig, batches, loss_fn, evaluate, scheduler=None) -> pd.DataFrame:
    """One resumable engine run; the best model (by the monitored metric) is loaded at the end."""
    state = finished_stage(state_dir, device)
    if state is not None:
        model.load_state_dict(state["model"])
        log.info("reusing finished stage %s (%d epochs) from %s", stage_name(state_dir), len(state["history"].get("epoch", [])),
                 state_dir)
        return pd.DataFrame(state["history"])
    engine = Engine(model, optimizer, config, state_dir, device, scheduler)
    history = pd.DataFrame(engine.fit(batches, loss_fn, evaluate))
    if engine.best_state is not None:
        model.load_state_dict(engine.best_state)
    save_stage(state_dir, {"model": model.state_dict(), "history": history.to_dict("list")})
    return history


def _batch_iter(data: ImageSet, batch_size: int, device: torch.device, flip: bool = False) -> Callable:
    """Shuffled batches; ``flip``: each image mirrored superior-inferior (the reformation's rows) with
    probability 1/2, a vertebra's near-symmetry that doubles the healthy images an inpainter learns from."""
    def batches(epoch: int, generator: torch.Generator):
        order = torch.randperm(len(data.x), generator=generator, device=device)
        for start in range(0, len(order), batch_size):
            x = data.x[order[start:start + batch_size]].float()
            if flip:
                mirror = torch.rand(len(x), generator=generator, device=device) < 0.5
                x = torch.where(mirror[:, None, None, None], x.flip(-2), x)
            yield x, generator
    return batches


def feature_fn(backbone, heat: torch.Tensor, channels: int, levels: int = 3):
    """The frozen classifier's first ``levels`` pooled feature maps of an image with the batch's heatmap
    (the perceptual and style features: Liu et al. use VGG-16's pool1-3)."""
    def features(image: torch.Tensor) -> list[torch.Tensor]:
        x = torch.cat([image.expand(-1, channels - 1, *image.shape[2:]), heat], 1)
        return backbone.taps(x, levels)[1]
    return features


class CounterfactualFold:
    """One fold's data on the device and its frozen classifier."""

    def __init__(self, rows: pd.DataFrame, folds: pd.DataFrame, fold: int, cf: CounterfactualParams,
                 proto: Classifier2dParams, classifier_path: str | Path) -> None:
        self.cf, self.proto, self.fold = cf, proto, fold
        self.rows, self.folds = rows, folds
        self.device = pick_device(cf.device)
        self.parts = fold_parts(rows, folds, fold)
        self.classifier = load_classifier(proto, classifier_path, self.device)
        self.score = fracture_score(self.classifier, proto).to(self.device)

    @classmethod
    def from_files(cls, patches: str | Path, folds: str | Path, fold: int, counterfactual: dict, classifier: dict,
                   classifier_path: str | Path) -> CounterfactualFold:
        """A rule's view: the graded vertebrae of ``patches``, the fold split and the config sections."""
        proto = Classifier2dParams.from_dict(classifier)
        rows = graded_rows(read_table(patches, PATCHES), proto.grades)
        return cls(rows, read_table(folds, FOLDS), fold, CounterfactualParams.from_dict(counterfactual), proto,
                   classifier_path)

    def images(self, split: str, healthy_only: bool = False) -> ImageSet:
        rows = self.parts[split]
        if healthy_only:
            rows = rows[rows["grade"] == 0].reset_index(drop=True)
        return image_set(rows, self.proto, self.device)

    def attribution_images(self, split: str) -> ImageSet:
        """What the attribution network learns from: every vertebra of ``split``, or with
        ``attribution_images: positive`` those the classifier calls fractured. The deletion game is
        posed for a positive prediction (Lenis et al., section 2); on a negative one the empty map already
        wins, so training on all vertebrae teaches the network mostly to draw nothing."""
        data = self.images(split)
        if self.cf.attribution_images == "all" or not len(data.x):
            return data
        return data.subset(p_fracture(self.score, data.x) >= self.cf.fracture_threshold)

    # -- inpainter ------------------------------------------------------------------------------------

    def fit_inpainter(self, state_dir: Path) -> tuple[PConvUNet, pd.DataFrame]:
        cf, device = self.cf, self.device
        train, val = self.images("train", True), self.images("val", True)
        log.info("fold %d: inpainter on %d healthy training and %d healthy validation vertebrae, %s", self.fold,
                 len(train.x), len(val.x), device)
        torch.manual_seed(cf.seed + self.fold)
        model = build_inpainter(cf).to(device)
        channels = train.x.shape[1]
        size = train.x.shape[-1]
        val_holes = training_masks(len(val.x), size, torch.Generator(device=device).manual_seed(cf.seed + 17), device,
                                   cf.blob_fraction)

        def loss_fn(net, batch):
            x, generator = batch
            holes = training_masks(len(x), size, generator, device, cf.blob_fraction)
            features = feature_fn(self.classifier.backbone, x[:, -1:], channels)
            return inpainting_loss(net(x[:, :1], 1 - holes), x[:, :1], 1 - holes, features, cf.loss_weights)["total"]

        def evaluate(net) -> dict[str, float]:
            if not len(val.x):
                return {"hole_l1": float("nan")}
            errors = []
            for i in range(0, len(val.x), cf.inpainter_batch_size):
                x, holes = val.x[i:i + cf.inpainter_batch_size].float(), val_holes[i:i + cf.inpainter_batch_size]
                out = net(x[:, :1], 1 - holes).float()
                errors.append(((out - x[:, :1]).abs() * holes).sum() / holes.sum().clamp_min(1))
            return {"hole_l1": float(torch.stack(errors).mean())}

        batches = _batch_iter(train, cf.inpainter_batch_size, device, cf.inpainter_flip)
        history = []
        for phase, (epochs, lr) in enumerate(((cf.phase1_epochs, cf.lr_phase1), (cf.phase2_epochs, cf.lr_phase2))):
            model.freeze_encoder_bn = phase == 1
            frozen = {id(p) for p in model.encoder_norm_parameters()} if phase == 1 else set()
            params = [p for p in model.parameters() if id(p) not in frozen]
            config = EngineConfig(epochs, epochs + 1, cf.seed + 1000 * self.fold + phase, "hole_l1", "min", autocast=cf.autocast)
            part = run_stage(model, state_dir / f"phase{phase + 1}", device, torch.optim.Adam(params, lr=lr), config,
                             batches, loss_fn, evaluate)
            history.append(part.assign(stage=f"phase{phase + 1}"))
        return model.eval(), pd.concat(history, ignore_index=True)

    # -- attribution ----------------------------------------------------------------------------------

    def fit_attribution(self, inpainter_path: str | Path, state_dir: Path) -> tuple[AttributionNet, pd.DataFrame]:
        cf, device = self.cf, self.device
        train, val = self.attribution_images("train"), self.attribution_images("val")
        inpainter = load_into(build_inpainter(cf), inpainter_path, device).requires_grad_(False)
        inpaint = inpaint_fn(inpainter)
        torch.manual_seed(cf.seed + self.fold)
        model = build_attribution(self.classifier, cf).to(device)
        log.info("fold %d: attribution network on %d training and %d validation vertebrae, %s", self.fold,
                 len(train.x), len(val.x), device)

        def objective(net, x):
            return deletion_loss(net(x), x, self.score, inpaint, cf.objective_weights, cf.threshold, cf.max_area,
                                 cf.tv_sigma, cf.term_scale, cf.bounding)

        def loss_fn(net, batch):
            return objective(net, batch[0])["total"]

        def evaluate(net) -> dict[str, float]:
            if not len(val.x):
                return {"total": float("nan")}
            parts = [objective(net, val.x[i:i + cf.attribution_batch_size].float())
                     for i in range(0, len(val.x), cf.attribution_batch_size)]
            return {k: float(torch.stack([p[k] for p in parts]).mean()) for k in ("total", "p_fracture", "area")}

        params = [p for p in model.parameters() if p.requires_grad]
        if cf.optimizer == "sgd":
            optimizer = torch.optim.SGD(params, lr=cf.lr_max)
        else:
            optimizer = torch.optim.Adam(params, lr=cf.lr_max)
        per_epoch = max(1, -(-len(train.x) // cf.attribution_batch_size))
        scheduler = torch.optim.lr_scheduler.CyclicLR(optimizer, cf.lr_min, cf.lr_max,
                                                      step_size_up=max(1, round(cf.cycle_epochs * per_epoch)),
                                                      cycle_momentum=False)
        config = EngineConfig(cf.attribution_epochs, cf.patience, cf.seed + 1000 * self.fold + 7, "total", "min", autocast=cf.autocast)
        history = run_stage(model, state_dir / "attribution", device, optimizer, config,
                            _batch_iter(train, cf.attribution_batch_size, device), loss_fn, evaluate, scheduler)
        return model.eval(), history
