import pytest
import torch
import torch.nn.functional as F

from spinexai.counterfactual.inpainter import PConvUNet, gram
from spinexai.counterfactual.partial_conv import PartialConv


def _ones_conv(dims: int) -> PartialConv:
    conv = PartialConv(1, 1, 3, dims=dims)
    with torch.no_grad():
        conv.conv.weight.fill_(1.0)
        conv.bias.fill_(0.0)
    return conv


@pytest.mark.parametrize("dims", [2, 3])
def test_interior_equals_ordinary_convolution_with_all_ones_mask(dims):
    torch.manual_seed(0)
    conv = PartialConv(2, 3, 3, dims=dims)
    with torch.no_grad():
        conv.bias.normal_()
    x = torch.randn((1, 2) + (8,) * dims)
    mask = torch.ones((1, 1) + (8,) * dims)
    out, new_mask = conv(x, mask)
    plain = (F.conv2d if dims == 2 else F.conv3d)(x, conv.conv.weight, conv.bias, padding=1)
    inner = (slice(None), slice(None)) + (slice(1, -1),) * dims
    assert torch.allclose(out[inner], plain[inner], atol=1e-5)
    assert bool((new_mask == 1).all())


def test_border_ratios_2d():
    with torch.no_grad():
        out, _ = _ones_conv(2)(torch.ones(1, 1, 5, 5), torch.ones(1, 1, 5, 5))
    # every window sums its valid ones and is rescaled to the full 9: the result is 9 everywhere,
    # i.e. an edge output is 1.5x and a corner 2.25x the ordinary convolution
    plain = F.conv2d(torch.ones(1, 1, 5, 5), torch.ones(1, 1, 3, 3), padding=1)
    ratio = out / plain
    assert ratio[0, 0, 2, 2] == pytest.approx(1.0)
    assert ratio[0, 0, 0, 2] == pytest.approx(1.5)
    assert ratio[0, 0, 0, 0] == pytest.approx(2.25)


def test_corner_ratio_3d():
    with torch.no_grad():
        out, _ = _ones_conv(3)(torch.ones(1, 1, 4, 4, 4), torch.ones(1, 1, 4, 4, 4))
    plain = F.conv3d(torch.ones(1, 1, 4, 4, 4), torch.ones(1, 1, 3, 3, 3), padding=1)
    assert (out / plain)[0, 0, 0, 0, 0] == pytest.approx(3.375)
    assert (out / plain)[0, 0, 0, 0, 1] == pytest.approx(27 / 12)


def test_bias_added_after_scaling():
    conv = _ones_conv(2)
    with torch.no_grad():
        conv.bias.fill_(0.5)
    with torch.no_grad():
        out, _ = conv(torch.ones(1, 1, 5, 5), torch.ones(1, 1, 5, 5))
    assert out[0, 0, 0, 0] == pytest.approx(9.5)   # (4 valid * 1) * 9/4 + 0.5, not (4 + 0.5) * 9/4


def test_hole_values_do_not_matter_and_empty_windows_are_zero():
    torch.manual_seed(0)
    conv = PartialConv(1, 4, 3)
    with torch.no_grad():
        conv.bias.normal_()
    mask = torch.ones(1, 1, 9, 9)
    mask[..., 2:7, 2:7] = 0
    x1, x2 = torch.randn(1, 1, 9, 9), torch.randn(1, 1, 9, 9)
    x2 = x1 * mask + x2 * (1 - mask)
    out1, m1 = conv(x1 * 1, mask)
    out2, m2 = conv(x2, mask)
    x3 = x1.clone()
    x3[..., 2:7, 2:7] = 1e6
    out3, _ = conv(x3, mask)
    assert torch.allclose(out1, out3) and torch.equal(m1, m2)
    assert bool((out1[..., 4, 4] == 0).all()) and m1[0, 0, 4, 4] == 0  # window fully inside the hole


def test_mask_erodes_one_pixel_per_layer():
    conv = _ones_conv(2)
    mask = torch.ones(1, 1, 11, 11)
    mask[..., 2:9, 2:9] = 0
    x = torch.ones(1, 1, 11, 11)
    holes = [int((mask == 0).sum())]
    for _ in range(3):
        x, mask = conv(x, mask)
        holes.append(int((mask == 0).sum()))
    assert holes == [49, 25, 9, 1, 0][:4]


def test_gram_is_normalised_by_chw():
    f = torch.ones(2, 3, 4, 5)
    g = gram(f)
    assert g.shape == (2, 3, 3)
    assert torch.allclose(g, torch.full((2, 3, 3), 20 / (3 * 20)))


def test_unet_keeps_known_pixels_path_and_shape():
    net = PConvUNet(1, depth=3, width=4)
    x = torch.rand(2, 1, 32, 32)
    mask = torch.ones(2, 1, 32, 32)
    mask[:, :, 8:20, 8:20] = 0
    out = net(x, mask)
    assert out.shape == x.shape and torch.isfinite(out).all()
    x2 = x.clone()
    x2[:, :, 8:20, 8:20] = 5.0
    assert torch.allclose(net.eval()(x, mask), net.eval()(x2, mask), atol=1e-5)


def test_phase_two_freezes_encoder_batch_norm():
    net = PConvUNet(1, depth=3, width=4)
    net.freeze_encoder_bn = True
    net.train()
    assert not any(norm.training for norm in net.down_norm)
    assert all(norm.training for norm in net.up_norm)
