"""ProtoVerse's loss terms against hand-computed values."""

import math

import pytest
import torch

from spinexai.prototypes.losses import (
    cluster_and_separation,
    diversity_loss,
    last_layer_l1,
    weighted_cross_entropy,
)


def test_weighted_cross_entropy_is_the_plain_mean_of_weighted_terms():
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    labels = torch.tensor([0, 2])
    w = torch.tensor([0.5, 1.0, 2.0])
    ce0 = -math.log(math.exp(2) / (math.exp(2) + 2))
    ce1 = -math.log(1 / (math.e + 2))
    assert weighted_cross_entropy(logits, labels, w).item() == pytest.approx((0.5 * ce0 + 2.0 * ce1) / 2, rel=1e-6)
    # scaling the weights scales the loss (PyTorch's weighted mean would not)
    assert weighted_cross_entropy(logits, labels, 2 * w).item() == pytest.approx(2 * weighted_cross_entropy(logits, labels, w).item())


def test_cluster_and_separation_take_the_nearest_own_and_other_prototype():
    d = torch.tensor([[1.0, 4.0, 9.0, 0.5], [3.0, 2.0, 7.0, 8.0]])
    proto_class = torch.tensor([0, 0, 1, 1])
    cluster, separation = cluster_and_separation(d, torch.tensor([0, 1]), proto_class)
    assert cluster.item() == pytest.approx((1.0 + 7.0) / 2)
    assert separation.item() == pytest.approx((0.5 + 2.0) / 2)


def test_diversity_is_zero_for_orthogonal_and_one_for_identical_prototypes():
    proto_class = torch.tensor([0, 0, 1, 1])
    orthogonal = torch.eye(4).view(4, 4, 1, 1)
    assert diversity_loss(orthogonal, proto_class).item() == pytest.approx(0.0)
    identical = torch.ones(4, 4, 1, 1)
    assert diversity_loss(identical, proto_class).item() == pytest.approx(1.0)
    # one class with cos 0.6 between its two prototypes, the other orthogonal: mean of 0.36 and 0
    p = torch.tensor([[1.0, 0, 0, 0], [0.6, 0.8, 0, 0], [0, 0, 1.0, 0], [0, 0, 0, 1.0]]).view(4, 4, 1, 1)
    assert diversity_loss(p, proto_class).item() == pytest.approx(0.18)


def test_diversity_gradient_pushes_same_class_prototypes_apart():
    p = torch.tensor([[1.0, 0.2], [1.0, 0.0]]).view(2, 2, 1, 1).requires_grad_(True)
    diversity_loss(p, torch.tensor([0, 0])).backward()
    stepped = (p - 0.1 * p.grad).detach()
    assert diversity_loss(stepped, torch.tensor([0, 0])) < diversity_loss(p.detach(), torch.tensor([0, 0]))


def test_last_layer_l1_counts_only_off_class_connections():
    weight = torch.tensor([[1.0, -0.5], [-0.25, 2.0]])
    identity = torch.eye(2)
    assert last_layer_l1(weight, identity).item() == pytest.approx(0.75)
