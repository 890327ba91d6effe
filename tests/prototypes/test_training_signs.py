"""Sign tests of the combined ProtoVerse loss (``prototypes.train.prototype_loss``: MWCE + cluster -
separation + diversity) on a toy set: three classes of small synthetic images that a tiny PrototypeNet
tells apart within a few dozen Adam steps.

Each term alone is tested in test_losses.py; here the combination must train: the cross-entropy falls,
every class's nearest prototype is pulled onto that class's latent patches and stays far from the other
classes', and each term moves its distance the right way against the same run without it. The
``flipped`` tests swap a sign inside ``prototype_loss`` (through the ``cluster_and_separation`` it calls)
and check that these tests would then fail.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F

import spinexai.prototypes.train as proto_train
from spinexai.prototypes.losses import cluster_and_separation
from spinexai.prototypes.network import PrototypeNet
from spinexai.prototypes.params import ProtoParams

SIZE = 16
PARAMS = ProtoParams(input_size=SIZE, width=8, pools=2, proto_dim=16, per_class=2)  # 4 x 4 latent grid, 2 prototypes/class


def toy_set(n_per_class: int = 12, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(image, centre Gaussian) pairs: a horizontal bar (class 0), a vertical bar (1), a dark square (2) at
    a random place on a noisy grey background."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(SIZE), torch.arange(SIZE), indexing="ij")
    heat = torch.exp(-((yy - SIZE / 2) ** 2 + (xx - SIZE / 2) ** 2) / (2 * (SIZE / 6) ** 2))
    images, labels = [], []
    for c in range(3):
        for _ in range(n_per_class):
            img = 0.3 + 0.05 * torch.randn(SIZE, SIZE, generator=g)
            r, q = (int(v) for v in torch.randint(3, SIZE - 7, (2,), generator=g))
            if c == 0:
                img[r + 2:r + 4, q:q + 6] += 0.6
            elif c == 1:
                img[r:r + 6, q + 2:q + 4] += 0.6
            else:
                img[r + 1:r + 5, q + 1:q + 5] -= 0.25
            images.append(torch.stack([img.clamp(0, 1), heat]))
            labels.append(c)
    return torch.stack(images), torch.tensor(labels)


@torch.no_grad()
def measure(model: PrototypeNet, x: torch.Tensor, y: torch.Tensor) -> dict:
    model.eval()
    out = model(x)
    model.train()
    d, pc = out["min_distances"], model.prototype_class
    cluster, separation = cluster_and_separation(d, y, pc)
    return {"ce": float(F.cross_entropy(out["logits"], y)), "accuracy": float((out["logits"].argmax(1) == y).float().mean()),
            "cluster": float(cluster), "separation": float(separation),
            # per prototype: mean distance of its nearest latent patch in own-class and in other-class images
            "own": torch.stack([d[y == pc[j], j].mean() for j in range(len(pc))]),
            "other": torch.stack([d[y != pc[j], j].mean() for j in range(len(pc))])}


def train(steps: int, seed: int = 0, **weights: float) -> tuple[PrototypeNet, dict, dict]:
    """``steps`` full-batch Adam steps of ``prototype_loss`` (ProtoPNet's joint-stage learning rates)."""
    torch.manual_seed(seed)
    params = replace(PARAMS, **weights)
    model = PrototypeNet(params)
    x, y = toy_set(seed=seed)
    optimizer = torch.optim.Adam([{"params": model.backbone.parameters(), "lr": 1e-3},
                                  {"params": model.add_on.parameters(), "lr": 3e-3},
                                  {"params": [model.prototypes], "lr": 3e-3}])
    before = measure(model, x, y)
    for _ in range(steps):
        optimizer.zero_grad()
        proto_train.prototype_loss(model, x, y, params, torch.ones(3)).backward()
        optimizer.step()
    return model, before, measure(model, x, y)


def training_failures(steps: int = 40) -> list[str]:
    """What goes wrong when the combined loss (the config's weights) trains the toy set."""
    model, before, after = train(steps)
    failures = []
    if not (after["ce"] < 0.3 * before["ce"] and after["accuracy"] == 1.0):
        failures.append(f"cross-entropy {before['ce']:.3f} -> {after['ce']:.3f}, accuracy {after['accuracy']:.2f}")
    if not after["cluster"] < 0.2 * before["cluster"]:
        failures.append(f"cluster distance {before['cluster']:.3f} -> {after['cluster']:.3f}")
    if not after["separation"] > 3 * after["cluster"]:
        failures.append(f"separation {after['separation']:.3f} not well above cluster {after['cluster']:.3f}")
    for c in range(3):  # the class's prototype that its images are nearest to (the one the cluster term pulls)
        mine = torch.nonzero(model.prototype_class == c).flatten()
        j = int(mine[after["own"][mine].argmin()])
        if not after["own"][j] < 0.5 * before["own"][j]:
            failures.append(f"class {c}: prototype {j} not pulled to its class ({before['own'][j]:.3f} -> {after['own'][j]:.3f})")
        if not after["other"][j] > 2 * after["own"][j]:
            failures.append(f"class {c}: prototype {j} as near other classes ({after['other'][j]:.3f}) as its own "
                            f"({after['own'][j]:.3f})")
    return failures


def term_failures(steps: int = 15) -> list[str]:
    """Each distance term against the same run (same seed, data, steps) without it. At the paper's 0.08 the
    separation term is too weak to show over a few steps, so the toy raises its weight to 0.5."""
    failures = []
    with_cluster, without_cluster = train(steps)[2]["cluster"], train(steps, cluster=0.0)[2]["cluster"]
    if not with_cluster < 0.7 * without_cluster:
        failures.append(f"cluster term: cluster distance {with_cluster:.3f} with it, {without_cluster:.3f} without")
    with_sep, without_sep = train(steps, separation=0.5)[2]["separation"], train(steps, separation=0.0)[2]["separation"]
    if not with_sep > 1.15 * without_sep:
        failures.append(f"separation term: separation {with_sep:.3f} with it, {without_sep:.3f} without")
    return failures


def test_combined_loss_trains_the_toy_set():
    assert training_failures() == []


def test_each_distance_term_moves_its_distance_the_right_way():
    assert term_failures() == []


def _flip(monkeypatch, term: str) -> None:
    def flipped(*args):
        cluster, separation = cluster_and_separation(*args)
        return (-cluster, separation) if term == "cluster" else (cluster, -separation)

    monkeypatch.setattr(proto_train, "cluster_and_separation", flipped)


@pytest.mark.parametrize("term", ["cluster", "separation"])
def test_a_flipped_sign_is_caught(monkeypatch, term):
    _flip(monkeypatch, term)
    failures = term_failures() + (training_failures() if term == "cluster" else [])
    assert any(f.startswith(f"{term} term") for f in failures), failures
    if term == "cluster":
        assert any(f.startswith("cross-entropy") for f in failures), failures
