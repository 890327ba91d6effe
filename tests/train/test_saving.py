"""Saved models and finished stages: weights with their card, clear errors, stage markers."""

import json

import pytest
import torch
from torch import nn

from spinexai.errors import InputError
from spinexai.fracture3d.classifier import ClassifierParams
from spinexai.io.cards import card_path, load_card
from spinexai.train.saving import finished_stage, load_into, load_state, save_model, save_stage


def test_a_model_is_saved_with_the_card_that_built_it(tmp_path):
    path = tmp_path / "fold0/model.pt"
    params = ClassifierParams(width=4, pools=2)
    net = nn.Linear(3, 2)
    save_model(net.state_dict(), path, "classifier3d", params, {"ct_patch": {"shape": [96, 96, 96]}}, fold=0)
    card = load_card(path)
    assert card_path(path) == tmp_path / "fold0/model.json"
    assert card["kind"] == "classifier3d" and card["fold"] == 0 and card["format"] == 1
    assert ClassifierParams.from_dict(card["params"]) == params
    assert card["inputs"]["ct_patch"]["shape"] == [96, 96, 96]
    back = load_into(nn.Linear(3, 2), path)
    assert torch.equal(back.weight, net.weight) and not back.training
    assert sorted(p.name for p in path.parent.iterdir()) == ["model.json", "model.pt"]  # no temporary files left


def test_weights_of_another_architecture_name_the_file(tmp_path):
    path = tmp_path / "model.pt"
    save_model(nn.Linear(3, 2).state_dict(), path, "x", {})
    with pytest.raises(InputError, match=r"model\.pt.*does not fit Linear"):
        load_into(nn.Linear(4, 2), path)


@pytest.mark.parametrize("content", [b"", b"not a torch file", json.dumps({"a": 1}).encode()])
def test_a_foreign_file_gives_one_line_naming_it(tmp_path, content):
    path = tmp_path / "weights.pt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=r"weights\.pt.*not a model saved by spinexai"):
        load_state(path)
    with pytest.raises(InputError, match="not found"):
        load_state(tmp_path / "missing.pt")


def test_a_stage_is_finished_once_marked(tmp_path):
    assert finished_stage(tmp_path / "warm") is None
    save_stage(tmp_path / "warm", {"model": {"w": torch.ones(2)}, "history": {"epoch": [0, 1]}})
    state = finished_stage(tmp_path / "warm")
    assert torch.equal(state["model"]["w"], torch.ones(2)) and state["history"]["epoch"] == [0, 1]
