"""The 3D fracture classifier task (Engstler et al. 2022): per-fold training, evaluation, Table 1."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve, roc_curve

from spinexai.config import ConfigSection
from spinexai.data.augment import AugmentParams, augment_batch
from spinexai.data.folds import fold_parts
from spinexai.data.tensors import load_patch_stack
from spinexai.errors import InputError
from spinexai.metrics import binary_metrics
from spinexai.models import FractureClassifier
from spinexai.train import Engine, EngineConfig, pick_device
from spinexai.train.inference import batched
from spinexai.train.saving import load_into

log = logging.getLogger(__name__)
METRICS = ("f1", "accuracy", "auc", "ap", "sensitivity", "specificity")


@dataclass(frozen=True)
class ClassifierParams(ConfigSection):
    """The ``classifier3d:`` section of the config."""

    crop: int = 64  # voxels (1 mm) cut from the centre of the 96^3 patch
    input_size: int = 64  # network input edge; below ``crop`` the crop is averaged down
    width: int = 32  # encoder width; 32 gives 512 units in the last block
    pools: int = 3  # encoder max-pools (the paper's 3); units sit on a grid of input_size / 2**pools cells
    head: str = "pool"
    dropout: float = 0.3
    epochs: int = 500
    patience: int = 50
    batch_size: int = 32
    lr: float = 1e-3
    threshold: float = 0.5
    monitor: str = "auc"  # validation metric that keeps the best epoch (the paper: f1 at the threshold)
    seed: int = 0
    device: str = "auto"
    autocast: str = "cuda"  # bf16 autocast in training: cuda (a GPU only), native (also a CPU with bf16 instructions), never
    augment: dict = field(default_factory=dict)



def split_rows(patches: pd.DataFrame, folds: pd.DataFrame, fold: int) -> dict[str, pd.DataFrame]:
    """Included vertebrae of the fold's training, validation and test subjects."""
    parts = fold_parts(patches[patches["status"] == "included"], folds, fold)
    if parts["train"]["fracture"].sum() == 0:
        raise InputError("results/data/folds.parquet", "fold", f"fold {fold}: no fractured vertebra to train on")
    return parts


def balanced_epoch(labels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Indices of one epoch with as many positives as negatives: each class is drawn to the mean of
    the two class sizes, so negatives are undersampled (without replacement) and positives
    oversampled (with replacement)."""
    pos = torch.nonzero(labels, as_tuple=True)[0]
    neg = torch.nonzero(~labels, as_tuple=True)[0]
    dev = labels.device
    k = max(1, (len(pos) + len(neg)) // 2)

    def draw(idx: torch.Tensor) -> torch.Tensor:
        if k <= len(idx):
            return idx[torch.randperm(len(idx), generator=generator, device=dev)[:k]]
        return idx[torch.randint(len(idx), (k,), generator=generator, device=dev)]

    both = torch.cat([draw(pos), draw(neg)])
    return both[torch.randperm(len(both), generator=generator, device=dev)]


@torch.no_grad()
def predict(model: torch.nn.Module, x: torch.Tensor, batch_size: int = 64) -> np.ndarray:
    """Fracture probabilities in eval mode (running statistics: independent of the batch size)."""
    model.eval()
    if not len(x):
        return np.zeros(0)
    return batched(lambda xb: torch.sigmoid(model(xb)).float().cpu(), x, batch_size).numpy()


def build_model(params: ClassifierParams) -> FractureClassifier:
    return FractureClassifier(3, 1, params.width, params.head, params.dropout, params.pools)


def train_fold(patches: pd.DataFrame, folds: pd.DataFrame, fold: int, params: ClassifierParams,
               state_dir: str | Path) -> tuple[dict, pd.DataFrame]:
    """Train one fold; returns (the state dict of the best epoch by ``params.monitor``, per-epoch history)."""
    device = pick_device(params.device)
    parts = split_rows(patches, folds, fold)
    torch.manual_seed(params.seed)
    x_train = load_patch_stack(parts["train"]["ct_patch"].tolist(), crop=params.crop, size=params.input_size, device=device)
    y_train = torch.as_tensor(parts["train"]["fracture"].to_numpy(bool, copy=True), device=device)
    x_val = load_patch_stack(parts["val"]["ct_patch"].tolist(), crop=params.crop, size=params.input_size, device=device)
    y_val = parts["val"]["fracture"].to_numpy(bool)
    log.info("fold %d: %d training (%d fractured), %d validation vertebrae on %s", fold, len(y_train),
             int(y_train.sum()), len(y_val), device)
    model = build_model(params).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=params.lr)
    engine = Engine(model, optimizer, EngineConfig(params.epochs, params.patience, params.seed + fold, params.monitor,
                                                   autocast=params.autocast),
                    state_dir, device)
    augment = AugmentParams.from_dict(params.augment)

    def batches(epoch, generator):
        order = balanced_epoch(y_train, generator)
        for start in range(0, len(order), params.batch_size):
            idx = order[start:start + params.batch_size]
            yield augment_batch(x_train[idx], augment, generator), y_train[idx].float()

    def loss_fn(net, batch):
        x, y = batch
        return F.binary_cross_entropy_with_logits(net(x.float()).float(), y)

    def evaluate(net):
        return binary_metrics(y_val, predict(net, x_val), params.threshold)

    history = engine.fit(batches, loss_fn, evaluate)
    return engine.best_state, pd.DataFrame(history)


def load_model(path: str | Path, params: ClassifierParams, device: torch.device) -> FractureClassifier:
    return load_into(build_model(params), path, device)


def evaluate_fold(patches: pd.DataFrame, folds: pd.DataFrame, fold: int, params: ClassifierParams,
                  model_path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Predictions and metrics on the fold's validation subjects and on the held-out test set."""
    device = pick_device(params.device)
    model = load_model(model_path, params, device)
    parts = split_rows(patches, folds, fold)
    preds, metrics = [], []
    for split in ("val", "test"):
        rows = parts[split]
        x = load_patch_stack(rows["ct_patch"].tolist(), crop=params.crop, size=params.input_size, device=device)
        p = predict(model, x)
        preds.append(rows[["subject", "label", "level", "grade", "fracture"]].assign(fold=fold, split=split, probability=p,
                                                                                  prediction=p >= params.threshold))
        metrics.append({"fold": fold, "split": split, **binary_metrics(rows["fracture"].to_numpy(bool), p, params.threshold)})
    return pd.concat(preds, ignore_index=True), pd.DataFrame(metrics)


def summarise(metrics: pd.DataFrame) -> pd.DataFrame:
    """The Table 1 analogue: mean and SD over folds of each metric, per split."""
    rows = []
    for split, group in metrics.groupby("split"):
        for metric in METRICS:
            values = group[metric].astype(float)
            rows.append({"split": split, "metric": metric, "mean": values.mean(), "std": values.std(ddof=1),
                         "n_folds": int(values.notna().sum())})
    return pd.DataFrame(rows)


def curves_figure(predictions: pd.DataFrame, split: str = "test") -> Figure:
    """ROC and precision-recall curves of every fold on one split (a backend-free Figure)."""
    fig = Figure(figsize=(10, 4.5))
    roc_ax, pr_ax = fig.subplots(1, 2)
    for fold, group in predictions[predictions["split"] == split].groupby("fold"):
        y, p = group["fracture"].to_numpy(bool), group["probability"].to_numpy()
        if len(np.unique(y)) < 2:
            continue
        fpr, tpr, _ = roc_curve(y, p)
        prec, rec, _ = precision_recall_curve(y, p)
        roc_ax.plot(fpr, tpr, label=f"fold {fold}")
        pr_ax.plot(rec, prec, label=f"fold {fold}")
    roc_ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    roc_ax.set(xlabel="false positive rate", ylabel="true positive rate", title=f"ROC ({split})")
    pr_ax.set(xlabel="recall", ylabel="precision", title=f"precision-recall ({split})")
    for ax in (roc_ax, pr_ax):
        ax.legend(loc="lower right" if ax is roc_ax else "lower left", fontsize=8)
    fig.tight_layout()
    return fig
