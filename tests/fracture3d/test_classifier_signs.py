"""Sign test of the 3D classifier's loss: ``classifier3d.train_fold`` (its balanced epochs, augmentation
off, and its BCE-with-logits ``loss_fn``) on a toy set of patches written to disk must separate the
classes; with the label flipped inside the loss it must not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

import spinexai.fracture3d.classifier as classifier3d
from spinexai.data.tensors import load_patch_stack
from spinexai.fracture3d.classifier import ClassifierParams, build_model, predict, train_fold
from spinexai.io.nifti import write_image
from spinexai.metrics import binary_metrics

SIZE = 16
NO_AUGMENT = {k: 0.0 for k in ("noise_std", "smooth", "contrast", "rotate_deg", "scale", "translate", "elastic")}
PARAMS = ClassifierParams(crop=SIZE, input_size=SIZE, width=2, epochs=10, patience=100, batch_size=16, lr=3e-3,
                          device="cpu", augment=NO_AUGMENT)


def toy_patches(root, n_subjects: int = 12, per_subject: int = 12, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Soft-tissue noise patches; a 'fractured' one holds a dense 6^3 block off its centre (its place varies)."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_subjects):
        for v in range(per_subject):
            fractured = v % 3 == 0
            hu = rng.normal(40.0, 120.0, (SIZE,) * 3)
            if fractured:
                lo = rng.integers(2, SIZE - 8, 3)
                hu[lo[0]:lo[0] + 6, lo[1]:lo[1] + 6, lo[2]:lo[2] + 6] += 500.0
            path = root / f"s{s}_v{v}.nii.gz"
            write_image(path, hu.astype(np.float32), np.eye(4))
            rows.append({"subject": f"s{s}", "label": 20 + v, "level": f"L{v}", "grade": 2 if fractured else 0,
                         "fracture": fractured, "status": "included", "ct_patch": str(path)})
    patches = pd.DataFrame(rows)
    fold = [0, 1, 2] * 3 + [-1] * 3  # three CV folds of three subjects, three test subjects
    folds = pd.DataFrame({"subject": [f"s{s}" for s in range(n_subjects)], "split": ["cv"] * 9 + ["test"] * 3,
                          "fold": fold})
    return patches, folds


def held_out_auc(patches, folds, state) -> float:
    """AUC of the trained weights on the toy test subjects."""
    model = build_model(PARAMS)
    model.load_state_dict(state)
    test = patches.merge(folds, on="subject").query("split == 'test'")
    x = load_patch_stack(test["ct_patch"].tolist(), crop=SIZE, size=SIZE)
    return binary_metrics(test["fracture"].to_numpy(bool), predict(model, x))["auc"]


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    return toy_patches(tmp_path_factory.mktemp("patches"))


def training_failures(toy, state_dir) -> list[str]:
    """What goes wrong when ``train_fold`` trains fold 0 of the toy set (the best-val-AUC weights are kept)."""
    torch.manual_seed(0)
    patches, folds = toy
    state, history = train_fold(patches, folds, 0, PARAMS, state_dir)
    auc = held_out_auc(patches, folds, state)
    failures = []
    if not history["train_loss"].iloc[-1] < 0.5 * history["train_loss"].iloc[0]:
        failures.append(f"training loss {history['train_loss'].iloc[0]:.3f} -> {history['train_loss'].iloc[-1]:.3f}")
    if not history["val_auc"].iloc[-1] > 0.9:
        failures.append(f"validation AUC after the last epoch {history['val_auc'].iloc[-1]:.3f}")
    if not auc > 0.9:
        failures.append(f"test AUC {auc:.3f}")
    return failures


def test_training_separates_the_classes(toy, tmp_path):
    assert training_failures(toy, tmp_path / "state") == []


def test_a_flipped_label_in_the_loss_is_caught(toy, tmp_path, monkeypatch):
    bce = F.binary_cross_entropy_with_logits
    monkeypatch.setattr(classifier3d.F, "binary_cross_entropy_with_logits", lambda logits, y, **kw: bce(logits, 1 - y, **kw))
    failures = training_failures(toy, tmp_path / "state")
    assert any(f.startswith("validation AUC") for f in failures) and any(f.startswith("test AUC") for f in failures), failures
