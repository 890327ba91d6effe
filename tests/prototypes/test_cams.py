"""Grad-CAM family on the baseline: batched maps equal one-at-a-time maps; XGradCAM's weights."""

import torch

from spinexai.cams import CAM_METHODS
from spinexai.models.classifier2d import BaselineNet
from spinexai.prototypes.cams import class_activation_maps
from spinexai.prototypes.params import ProtoParams


def test_batched_maps_equal_single_maps_and_are_normalised():
    torch.manual_seed(0)
    model = BaselineNet(ProtoParams(input_size=64, width=4)).eval()
    x = torch.rand(5, 2, 64, 64)
    classes = torch.tensor([0, 2, 1, 2, 0])
    batched = class_activation_maps(model, x, classes, batch_size=4)
    assert set(batched) == set(CAM_METHODS)
    for name, maps in batched.items():
        assert maps.shape == (5, 64, 64) and maps.min() >= 0 and maps.max() <= 1 + 1e-6
        single = torch.cat([class_activation_maps(model, x[i:i + 1], classes[i:i + 1], 1)[name] for i in range(5)])
        assert torch.allclose(maps, single, atol=1e-4), name


def test_xgradcam_weights_are_gradient_times_activation_over_activation():
    torch.manual_seed(1)
    model = BaselineNet(ProtoParams(input_size=32, width=4)).eval()
    x = torch.rand(1, 2, 32, 32)
    cam = CAM_METHODS["xgradcam"](nn_module=model, target_layers=f"backbone.{model.backbone.last_conv_layer}")
    raw = cam.compute_map(x, class_idx=1)
    acts = {}
    layer = dict(model.named_modules())[f"backbone.{model.backbone.last_conv_layer}"]
    handle = layer.register_forward_hook(lambda m, i, o: acts.setdefault("a", o))
    logits = model(x)
    a = acts["a"]
    grad = torch.autograd.grad(logits[0, 1], a)[0]
    handle.remove()
    weights = (grad * a).sum((2, 3)) / (a.sum((2, 3)) + 1e-7)
    expected = torch.relu((weights[:, :, None, None] * a).sum(1, keepdim=True))
    assert torch.allclose(raw, expected, atol=1e-5)
