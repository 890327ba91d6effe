"""Every map producer returns non-degenerate maps on the grid it claims, for untrained networks."""

import numpy as np
import torch

from spinexai.benchmark.maps2d import cam_maps, captum_maps, counterfactual_maps, explained_class, prototype_maps
from spinexai.counterfactual.attribution import AttributionNet
from spinexai.fracture3d.dissection.gradcam import gradcam_3d
from spinexai.fracture3d.dissection.units import dissection_maps, unit_thresholds
from spinexai.models import FractureClassifier
from spinexai.models.classifier2d import BaselineNet
from spinexai.prototypes.network import PrototypeNet
from spinexai.prototypes.params import ProtoParams


def test_explained_class_is_the_true_grade_or_the_next_severe_one():
    assert [explained_class(g, [0, 2, 3]) for g in (0, 1, 2, 3)] == [0, 1, 1, 2]


def test_2d_maps_have_the_input_grid():
    torch.manual_seed(0)
    params = ProtoParams(input_size=32, width=2, proto_dim=8)
    x, target = torch.rand(3, 2, 32, 32), torch.tensor([1, 2, 1])
    baseline = BaselineNet(params).eval()
    maps = cam_maps(baseline, x, target, 2) | captum_maps(baseline, x, target, 2, ig_steps=4, occlusion_window=4)
    maps |= prototype_maps(PrototypeNet(params).eval(), x, target, 2)
    maps["counterfactual"] = counterfactual_maps(AttributionNet(baseline.backbone, levels=3).eval(), x, 2)
    assert set(maps) == {"gradcam", "gradcam_pp", "xgradcam", "saliency", "integrated_gradients", "occlusion", "top1",
                         "top3", "counterfactual"}
    for name, m in maps.items():
        assert m.shape == (3, 32, 32) and torch.isfinite(m).all() and m.std() > 0, name


def test_saliency_explains_the_image_channel_only():
    torch.manual_seed(1)
    model = BaselineNet(ProtoParams(input_size=32, width=2)).eval()
    x = torch.rand(2, 2, 32, 32)
    a = captum_maps(model, x, torch.tensor([0, 1]), 2, 4, 4)["saliency"]
    xr = x.clone().requires_grad_(True)
    logits = model(xr)
    grad, = torch.autograd.grad(logits[0, 0] + logits[1, 1], xr)
    assert torch.allclose(a, grad[:, 0].abs(), atol=1e-6)


def test_3d_maps_have_the_input_grid():
    torch.manual_seed(0)
    model = FractureClassifier(3, 1, 2).eval()
    x = torch.rand(3, 1, 16, 16, 16)
    cam = gradcam_3d(model, x, 2)
    thresholds = unit_thresholds(model, x, 0.05, 2)
    dis, chosen = dissection_maps(model, x, thresholds, 3, 2)
    assert cam.shape == dis.shape == (3, 16, 16, 16) and chosen.shape == (3, 3)
    assert torch.isfinite(cam).all() and dis.min() >= 0 and dis.std() > 0
    assert np.unique(chosen[0]).size == 3
