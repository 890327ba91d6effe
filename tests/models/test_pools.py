"""Fewer pools give a finer grid of units and keep torchvision's layer indices."""

import pytest
import torch

from spinexai.models import FractureClassifier, UNetEncoder
from spinexai.models.vgg import VGG11Features


@pytest.mark.parametrize(("size", "pools"), [(224, 5), (112, 4), (56, 3)])
def test_vgg_latent_grid_is_seven_by_seven(size, pools):
    net = VGG11Features(2, 4, batch_norm=True, pools=pools).eval()
    with torch.no_grad():
        assert net(torch.zeros(1, 2, size, size)).shape[-2:] == (7, 7)
    before, after = net.taps(torch.zeros(1, 2, size, size))
    assert len(before) == len(after) == 5 and after[-1].shape[-1] == 7


def test_vgg_taps_of_the_first_stages_equal_the_full_pass():
    net = VGG11Features(2, 4, batch_norm=True, pools=4, blocks=4).eval()
    x = torch.rand(2, 2, 112, 112)
    with torch.no_grad():
        full, part = net.taps(x), net.taps(x, 3)
    assert len(part[1]) == 3
    for a, b in zip(full[1][:3], part[1], strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_vgg_layer_indices_stay_torchvisions():
    assert list(VGG11Features(3, 8, pools=3).state_dict()) == list(VGG11Features(3, 8, pools=5).state_dict())
    VGG11Features(3, 8, pools=3).load_state_dict(VGG11Features(3, 8, pools=5).state_dict())


def test_unet_encoder_pools():
    x = torch.zeros(2, 1, 32, 32, 32)
    assert UNetEncoder(3, 1, 2, pools=2)(x).shape == (2, 32, 8, 8, 8)
    assert UNetEncoder(3, 1, 2)(x).shape == (2, 32, 4, 4, 4)
    assert FractureClassifier(3, 1, 2, pools=2)(x).shape == (2,)
    with pytest.raises(ValueError):
        UNetEncoder(3, 1, 2, pools=4)


def test_vgg_replicate_padding_keeps_the_layout():
    zeros, replicate = VGG11Features(2, 4, pools=3), VGG11Features(2, 4, pools=3, padding_mode="replicate")
    replicate.load_state_dict(zeros.state_dict())
    x = torch.rand(1, 2, 56, 56)
    with torch.no_grad():
        assert replicate(x).shape == zeros(x).shape and not torch.allclose(replicate(x), zeros(x))


def test_vgg_blocks_drop_the_trailing_convolutions_and_keep_the_indices():
    full, four = VGG11Features(2, 4, pools=4), VGG11Features(2, 4, pools=4, blocks=4)
    assert set(four.state_dict()) < set(full.state_dict())
    four.load_state_dict({k: v for k, v in full.state_dict().items() if k in four.state_dict()})
    x = torch.rand(1, 2, 112, 112)
    with torch.no_grad():
        assert four(x).shape == (1, four.out_channels, 7, 7) and four.out_channels == 512 * 4 // 64
    before, _ = four.taps(x)
    assert len(before) == 4
    with pytest.raises(ValueError):
        VGG11Features(2, 4, pools=4, blocks=3)


def test_four_blocks_bound_what_one_latent_cell_sees():
    """A change in the image's corner moves the centre cell of VGG-11 through five blocks (receptive
    field 134 px) but not through four (70 px)."""
    torch.manual_seed(0)
    for blocks, reaches in ((5, True), (4, False)):
        net = VGG11Features(1, 4, pools=4, blocks=blocks).eval()
        x = torch.rand(1, 1, 112, 112)
        y = x.clone()
        y[..., :8, :8] += 1.0
        with torch.no_grad():
            moved = (net(x) - net(y))[..., 3, 3].abs().max() > 0
        assert bool(moved) == reaches, blocks
