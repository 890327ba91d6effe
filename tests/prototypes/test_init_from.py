"""prototypes.init_from: prototype arms start from the same fold's baseline backbone."""

import pytest
import torch

from spinexai.errors import InputError
from spinexai.models.classifier2d import BaselineNet
from spinexai.prototypes.network import PrototypeNet
from spinexai.prototypes.params import ProtoParams, resolved_arm
from spinexai.prototypes.train import load_backbone

SMALL = {"input_size": 32, "width": 2, "proto_dim": 4, "pools": 3, "init_from": "baseline",
         "arms": {"protoverse": {}, "baseline": {"model": "baseline"}}}


def test_backbone_is_copied_from_the_baseline(tmp_path):
    params = ProtoParams.from_dict(SMALL)
    baseline = BaselineNet(params.for_arm("baseline"))
    path = tmp_path / "baseline.pt"
    torch.save(baseline.state_dict(), path)
    net = PrototypeNet(params.for_arm("protoverse"))
    load_backbone(net, path)
    for key, value in baseline.backbone.state_dict().items():
        assert torch.equal(net.backbone.state_dict()[key], value)


def test_a_backbone_that_does_not_fit_is_refused(tmp_path):
    other = BaselineNet(ProtoParams.from_dict({**SMALL, "width": 4}).for_arm("baseline"))
    path = tmp_path / "other.pt"
    torch.save(other.state_dict(), path)
    with pytest.raises(InputError, match="backbone"):
        load_backbone(PrototypeNet(ProtoParams.from_dict(SMALL).for_arm("protoverse")), path)


def test_init_from_must_name_a_baseline_arm_and_does_not_touch_the_baseline():
    with pytest.raises(InputError, match="prototypes.init_from"):
        ProtoParams.from_dict({**SMALL, "init_from": "protoverse"}).for_arm("protoverse")
    assert "init_from" not in resolved_arm(SMALL, "baseline")
    assert resolved_arm(SMALL, "protoverse")["init_from"] == "baseline"
