"""The XVFA keypoint model's pieces: heights from points, arm combinations, the loss, class weights."""

import numpy as np
import pytest
import torch

from spinexai.metrics import youden_metrics
from spinexai.morphometry.fuzzy_gsq import fuzzy_genant
from spinexai.morphometry.keypoint_net import KeypointNet
from spinexai.morphometry.keypoints import heights_mm, probabilities, xvfa_loss
from spinexai.morphometry.params import KeypointParams


def _points(ha=0.5, hm=0.45, hp=0.5):
    """Normalised (row, column) points: superior row -h, inferior row 0, columns -0.3, 0, 0.3."""
    cols = torch.tensor([-0.3, 0.0, 0.3])
    sup = torch.stack([-torch.tensor([ha, hm, hp]), cols], -1)
    inf = torch.stack([torch.zeros(3), cols], -1)
    return torch.cat([sup, inf])[None]


def test_heights_from_normalised_points():
    h = heights_mm(_points(), torch.tensor([56.0]))  # 224 px x 0.5 mm / 2
    assert torch.allclose(h, torch.tensor([[28.0, 25.2, 28.0]]))


def test_arms_combine_the_branches():
    out = {"grade_logits": torch.tensor([[0.0, 0.0, 2.0, 0.0]]), "morph_logits": torch.zeros(1, 4)}
    pts, fov = _points(ha=0.3), torch.tensor([56.0])  # anterior loss 40%: severe wedge
    kps, _ = probabilities(out, pts, fov, (1, 1, 0), 0.02)
    img, _ = probabilities(out, pts, fov, (1, 0, 1), 0.02)
    both, _ = probabilities(out, pts, fov, (1, 1, 1), 0.02)
    assert torch.allclose(kps, fuzzy_genant(heights_mm(pts, fov), temperature=0.02).grade)
    assert torch.allclose(img, out["grade_logits"].softmax(-1))
    assert torch.allclose(both, kps * img / (kps * img).sum())
    assert torch.allclose(probabilities(out, pts, fov, (1, 0, 0), 0.02)[0], kps)  # keypoints only: read the points


def test_loss_without_the_image_term_leaves_the_image_head_alone():
    torch.manual_seed(0)
    net = KeypointNet(width=2, flow_layers=2)
    x = torch.rand(4, 2, 32, 32)
    target = torch.rand(4, 6, 2) * 0.5
    grade, morph = torch.tensor([0, 2, -1, 3]), torch.tensor([0, 1, -1, 3])
    w = torch.ones(4)
    params = KeypointParams()
    out = net(x)
    loss = xvfa_loss(net, out, target, torch.full((4,), 56.0), grade, morph, (1, 1, 0), params, w, w)
    loss.backward()
    assert torch.isfinite(loss)
    assert net.out.weight.grad[24:].abs().sum() == 0 and net.out.weight.grad[:12].abs().sum() > 0
    net.zero_grad()
    out = net(x)
    xvfa_loss(net, out, target, torch.full((4,), 56.0), grade, morph, (0, 0, 1), params, w, w).backward()
    assert net.out.weight.grad[:24].abs().sum() == 0 and net.out.weight.grad[24:].abs().sum() > 0


def test_youden_operating_point():
    y = np.array([0, 0, 0, 0, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.6, 0.5, 0.7, 0.9])
    m = youden_metrics(y, p)  # J = 1 - 1/4 at 0.5 beats 2/3 - 0 at 0.7
    assert m["auc"] == pytest.approx(11 / 12)
    assert m["threshold"] == pytest.approx(0.5) and m["sensitivity"] == 1.0 and m["specificity"] == 0.75
    assert m["f1"] == pytest.approx(2 * 0.75 * 1 / 1.75)


class _Peaks(torch.nn.Module):
    """Heatmap logits with one sharp peak per point at fixed cells."""

    def __init__(self, cells):
        super().__init__()
        self.cells = cells

    def forward(self, features):
        heat = torch.full((len(features), 6, *features.shape[-2:]), -50.0)
        for k, (r, c) in enumerate(self.cells):
            heat[:, k, r, c] = 50.0
        return heat


def test_soft_argmax_reads_the_peak_cells_centre_in_the_targets_coordinates():
    net = KeypointNet(width=2, flow_layers=2, head="soft_argmax").eval()
    cells = [(0, 0), (1, 2), (3, 3), (2, 0), (0, 3), (3, 1)]
    net.heatmaps = _Peaks(cells)
    with torch.no_grad():
        mu = net(torch.rand(2, 2, 32, 32))["mu"]   # 32 px through three pools: a 4 x 4 grid of 8 px cells
    # a cell's centre pixel 8 r + 3.5 in (2 i + 1) / size - 1, the normalised_targets convention
    expected = torch.tensor([[(2 * (8 * r + 3.5) + 1) / 32 - 1, (2 * (8 * c + 3.5) + 1) / 32 - 1] for r, c in cells])
    torch.testing.assert_close(mu, expected.expand(2, 6, 2))

