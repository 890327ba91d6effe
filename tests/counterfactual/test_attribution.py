import pytest
import torch
import torch.nn.functional as F

from spinexai.counterfactual.attribution import (
    AttributionNet,
    FractureScore,
    area_penalty,
    attribution_map,
    counterfactual,
    deletion_loss,
    p_fracture,
)
from spinexai.models.classifier2d import BaselineNet
from spinexai.models.vgg import VGG11Features
from spinexai.prototypes.params import ProtoParams

WEIGHTS = {"class": 1.0, "odds": 1.0, "tv": 0.2, "area": 100.0}


def test_head_is_nan_free_at_zero():
    head = torch.zeros(1, 2, 4, 4, requires_grad=True)
    m = attribution_map(head)
    m.sum().backward()
    assert torch.equal(m, torch.zeros_like(m)) and torch.isfinite(head.grad).all()
    assert attribution_map(torch.tensor([[[[3.0]], [[1.0]]]])).item() == pytest.approx(0.75, abs=1e-5)


def test_area_penalty_value_and_gradient():
    soft = torch.full((2, 1, 10, 10), 0.3, requires_grad=True)
    value = area_penalty(soft, 0.1)
    assert torch.allclose(value, torch.full((2,), 0.04))
    value.sum().backward()
    assert torch.allclose(soft.grad, torch.full_like(soft, 2 * 0.2 / 100))
    below = torch.full((1, 1, 10, 10), 0.05, requires_grad=True)
    area_penalty(below, 0.1).sum().backward()
    assert float(area_penalty(below, 0.1).detach()) == 0 and bool((below.grad == 0).all())


def test_counterfactual_keeps_heatmap_and_unmasked_pixels():
    x = torch.rand(2, 2, 8, 8)
    hard = torch.zeros(2, 1, 8, 8)
    hard[:, :, 2:4, 2:4] = 1
    out = counterfactual(x, hard, lambda image, known: torch.full_like(image, 7.0))
    assert torch.equal(out[:, 1], x[:, 1])
    assert torch.equal(out[:, 0][hard[:, 0] == 0], x[:, 0][hard[:, 0] == 0])
    assert bool((out[:, 0][hard[:, 0] == 1] == 7).all())


def _square_images(n: int, generator: torch.Generator, size: int = 32):
    x = torch.full((n, 2, size, size), 0.2)
    x[:, 0] += 0.05 * torch.rand((n, size, size), generator=generator)
    y = (torch.arange(n) % 2).long()
    corner = torch.randint(4, size - 12, (n, 2), generator=generator)
    for i in range(n):
        if y[i]:
            r, c = corner[i].tolist()
            x[i, 0, r:r + 8, c:c + 8] = 0.9
    return x, y


def _background_inpaint(image, known):
    fill = (image * known).flatten(1).sum(1) / known.flatten(1).sum(1).clamp_min(1)
    return image * known + fill.view(-1, 1, 1, 1) * (1 - known)


@pytest.fixture(scope="module")
def toy():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x, y = _square_images(128, g)
    params = ProtoParams(input_size=32, width=8, grades=(0, 2))
    classifier = BaselineNet(params)
    optimizer = torch.optim.Adam(classifier.parameters(), lr=3e-3)
    for _ in range(60):
        optimizer.zero_grad()
        F.cross_entropy(classifier(x), y, label_smoothing=0.1).backward()  # moderate logits, like a real classifier
        optimizer.step()
    classifier.eval().requires_grad_(False)
    score = FractureScore(classifier, [0], [1])
    assert (p_fracture(score, x)[y == 1] > 0.5).float().mean() > 0.9
    return classifier, score, x[y == 1], x


def test_frozen_parts_unchanged_after_a_training_step(toy):
    classifier, score, positives, _ = toy
    net = AttributionNet(classifier.backbone, levels=3)
    before = {k: v.clone() for k, v in net.encoder.state_dict().items()}
    head = net.head.weight.clone()
    optimizer = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=1e-3)
    loss = deletion_loss(net(positives), positives, score, _background_inpaint, WEIGHTS, 0.55, 0.1, 0.05)["total"]
    loss.backward()
    optimizer.step()
    assert all(torch.equal(before[k], v) for k, v in net.encoder.state_dict().items())
    assert not torch.equal(head, net.head.weight)


def test_batch_norm_encoder_statistics_stay_frozen_in_training_mode():
    encoder = VGG11Features(2, 8, batch_norm=True)
    net = AttributionNet(encoder, levels=3).train()
    before = {k: v.clone() for k, v in net.encoder.state_dict().items()}
    net(torch.rand(4, 2, 64, 64))
    assert not net.encoder.training
    assert all(torch.equal(before[k], v) for k, v in net.encoder.state_dict().items())


def test_training_finds_the_square_and_lowers_p_fracture(toy):
    """The sign check: minimising the objective must delete the evidence, not add it."""
    classifier, score, positives, _ = toy
    torch.manual_seed(1)
    net = AttributionNet(classifier.backbone, levels=3)
    optimizer = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=3e-3)
    for _ in range(150):
        optimizer.zero_grad()
        deletion_loss(net(positives), positives, score, _background_inpaint, WEIGHTS, 0.55, 0.1, 0.05)["total"].backward()
        optimizer.step()
    net.eval()
    with torch.no_grad():
        hard = (net(positives) > 0.55).float()
        cf = counterfactual(positives, hard, _background_inpaint)
    square = (positives[:, :1] > 0.6).float()
    p_before, p_after = p_fracture(score, positives), p_fracture(score, cf)
    assert p_after.mean() < 0.5 < p_before.mean()
    inside = (hard * square).sum() / hard.sum().clamp_min(1)
    assert inside > 0.5, f"only {float(inside):.2f} of the map lies on the square"
    assert hard.mean() < 0.2


def test_logistic_bounding_loses_the_gradient_softsign_keeps():
    from spinexai.counterfactual.attribution import bounded

    t = torch.tensor([60.0], requires_grad=True)
    bounded(t, 1.0, "logistic").backward()
    assert float(t.grad) < 1e-20
    t.grad = None
    bounded(t, 1.0, "softsign").backward()
    assert float(t.grad) > 1e-4
