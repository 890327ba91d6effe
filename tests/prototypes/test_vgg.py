"""VGG-11 features: torchvision-compatible layout and clear errors for wrong weight files."""

import pytest
import torch

from spinexai.errors import InputError
from spinexai.models.vgg import VGG11Features, load_vgg11_weights


def test_layout_matches_torchvision_vgg11():
    net = VGG11Features(3, 64)
    convs = [k for k in net.state_dict() if k.endswith(".weight")]
    assert convs == [f"features.{i}.weight" for i in (0, 3, 6, 8, 11, 13, 16, 18)]
    assert net.state_dict()["features.18.weight"].shape == (512, 512, 3, 3)
    assert net(torch.rand(1, 3, 224, 224)).shape == (1, 512, 7, 7)
    assert net.last_conv_layer == "features.19"


def test_batch_norm_layout_matches_torchvision_vgg11_bn():
    net = VGG11Features(3, 64, batch_norm=True)
    convs = [k for k, v in net.state_dict().items() if k.endswith(".weight") and v.dim() == 4]
    assert convs == [f"features.{i}.weight" for i in (0, 4, 8, 11, 15, 18, 22, 25)]
    assert "features.26.running_var" in net.state_dict() and len(net.features) == 29
    assert net(torch.rand(2, 3, 64, 64)).shape == (2, 512, 2, 2)
    assert net.last_conv_layer == "features.27" and isinstance(net.features[27], torch.nn.ReLU)


def test_plain_weights_into_a_batch_norm_model_are_named(tmp_path):
    torch.save(VGG11Features(3, 8).state_dict(), tmp_path / "plain.pth")
    with pytest.raises(InputError, match=r"plain.pth: field 'features.*vgg11_bn"):
        load_vgg11_weights(VGG11Features(3, 8, batch_norm=True), tmp_path / "plain.pth")


def test_loads_a_torchvision_style_state_dict(tmp_path):
    source = VGG11Features(3, 8)
    state = {**source.state_dict(), "classifier.0.weight": torch.zeros(2, 2)}
    torch.save(state, tmp_path / "vgg11.pth")
    target = VGG11Features(3, 8)
    load_vgg11_weights(target, tmp_path / "vgg11.pth")
    assert torch.equal(target.features[0].weight, source.features[0].weight)


def test_wrong_weights_name_the_file_and_tensor(tmp_path):
    torch.save(VGG11Features(2, 8).state_dict(), tmp_path / "two_channel.pth")
    with pytest.raises(InputError, match=r"two_channel.pth: field 'features.0.weight'"):
        load_vgg11_weights(VGG11Features(3, 8), tmp_path / "two_channel.pth")
    (tmp_path / "junk.pth").write_text("not torch")
    with pytest.raises(InputError, match="junk.pth"):
        load_vgg11_weights(VGG11Features(3, 8), tmp_path / "junk.pth")
    with pytest.raises(InputError, match="no such weights file"):
        load_vgg11_weights(VGG11Features(3, 8), tmp_path / "missing.pth")


def test_frozen_batch_norm_backbone_keeps_its_statistics_in_training_mode():
    net = VGG11Features(2, 8, batch_norm=True)
    net.requires_grad_(False).train()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    net(torch.rand(4, 2, 64, 64))
    assert not net.training and all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    net.requires_grad_(True).train()
    net(torch.rand(4, 2, 64, 64))
    assert net.training and not torch.equal(before["features.1.running_mean"], net.state_dict()["features.1.running_mean"])
