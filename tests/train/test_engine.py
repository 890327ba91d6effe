"""The shared training engine: resume after a kill gives the uninterrupted result, early stopping."""

import logging

import pytest
import torch
import torch.nn.functional as F

from spinexai.train import Engine, EngineConfig
from spinexai.train import engine as engine_module
from spinexai.train.engine import use_autocast


class Killed(RuntimeError):
    pass


def _problem():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 5, generator=g)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).float()
    return x, y


def _run(state_dir, epochs=6, kill_at=None, patience=100, cyclic=False, select_from=0):
    torch.manual_seed(123)
    model = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Dropout(0.2), torch.nn.Linear(8, 1))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    scheduler = torch.optim.lr_scheduler.CyclicLR(opt, 1e-4, 1e-2, step_size_up=3, cycle_momentum=False) if cyclic else None
    config = EngineConfig(epochs, patience, seed=7, monitor="acc", select_from=select_from)
    engine = Engine(model, opt, config, state_dir, torch.device("cpu"), scheduler)
    x, y = _problem()
    steps = {"n": 0}

    def batches(epoch, generator):
        order = torch.randperm(len(x), generator=generator)
        for s in range(0, len(x), 16):
            idx = order[s:s + 16]
            yield x[idx] + 0.1 * torch.randn(len(idx), 5, generator=generator), y[idx]

    def loss_fn(net, batch):
        steps["n"] += 1
        if kill_at is not None and steps["n"] == kill_at:
            raise Killed
        xb, yb = batch
        return F.binary_cross_entropy_with_logits(net(xb).squeeze(-1), yb)

    def evaluate(net):
        return {"acc": float(((net(x).squeeze(-1) > 0).float() == y).float().mean())}

    history = engine.fit(batches, loss_fn, evaluate)
    return engine, history


@pytest.mark.parametrize("cyclic", [False, True])
def test_resume_after_a_kill_matches_an_uninterrupted_run(tmp_path, cyclic):
    straight, history = _run(tmp_path / "a", cyclic=cyclic)
    with pytest.raises(Killed):
        _run(tmp_path / "b", kill_at=11, cyclic=cyclic)  # in the third epoch (four steps per epoch)
    resumed, history_b = _run(tmp_path / "b", cyclic=cyclic)
    if cyclic:  # the per-batch cyclic learning rate resumes where it was
        assert resumed.scheduler.last_epoch == straight.scheduler.last_epoch == 24
    assert resumed.start_epoch == 2
    for key, value in straight.model.state_dict().items():
        torch.testing.assert_close(resumed.model.state_dict()[key], value, rtol=0, atol=0)
    assert [h["val_acc"] for h in history] == [h["val_acc"] for h in history_b]
    assert straight.best_epoch == resumed.best_epoch


def test_resume_is_logged_with_the_stage_and_epoch(tmp_path, caplog):
    state_dir = tmp_path / "results" / "classifier3d" / "fold2" / "state" / "0123456789abcdef"
    with pytest.raises(Killed):
        _run(state_dir, kill_at=11)
    with caplog.at_level(logging.INFO, logger="spinexai.train"):
        _run(state_dir)
    assert "resuming training stage classifier3d/fold2 at epoch 2 of 6 from" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="spinexai.train"):
        _run(state_dir)
    assert "resuming training stage classifier3d/fold2 at epoch 6 of 6 (already finished)" in caplog.text


def test_same_seed_same_weights(tmp_path):
    a, _ = _run(tmp_path / "a", epochs=3)
    b, _ = _run(tmp_path / "b", epochs=3)
    for key, value in a.model.state_dict().items():
        torch.testing.assert_close(b.model.state_dict()[key], value, rtol=0, atol=0)


def test_early_stopping_and_best_state(tmp_path):
    engine, history = _run(tmp_path / "a", epochs=50, patience=2)
    assert len(history) < 50
    assert history[-1]["epoch"] - engine.best_epoch == 2
    assert engine.best_state is not None


def test_warm_up_epochs_are_never_the_best_nor_count_towards_patience(tmp_path):
    engine, history = _run(tmp_path / "a", epochs=50, patience=2, select_from=10)
    assert engine.best_epoch >= 10
    assert not any(h["best"] for h in history[:10])
    assert len(history) >= 13  # patience starts counting at epoch 10
    assert history[-1]["epoch"] - engine.best_epoch == 2


def test_checkpoint_loads_with_weights_only(tmp_path):
    _run(tmp_path / "a", epochs=2)
    state = torch.load(tmp_path / "a" / "last.pt", weights_only=True)
    assert state["epoch"] == 1 and len(state["history"]) == 2


@pytest.mark.parametrize("dims", [2, 3])
def test_trains_channels_last_and_hands_the_model_back_in_the_default_layout(tmp_path, dims):
    conv = (torch.nn.Conv2d if dims == 2 else torch.nn.Conv3d)(2, 4, 3)
    model = torch.nn.Sequential(conv, torch.nn.Flatten(), torch.nn.LazyLinear(1))
    x = torch.randn(8, 2, *[6] * dims)
    model(x)
    last = torch.channels_last if dims == 2 else torch.channels_last_3d
    seen = []

    def loss_fn(net, batch):
        seen.append(net[0].weight.is_contiguous(memory_format=last) and not net[0].weight.is_contiguous())
        return net(batch).square().mean()

    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    engine = Engine(model, optimizer, EngineConfig(2, 10, 0, monitor="loss", mode="min"), tmp_path, torch.device("cpu"))
    before = model[0].weight.detach().clone()
    engine.fit(lambda epoch, gen: [x], loss_fn, lambda net: {"loss": float(net(x).square().mean())})
    assert seen == [True, True]
    assert model[0].weight.is_contiguous()
    assert not torch.equal(model[0].weight, before)  # the optimizer still moved the converted parameters


def test_autocast_modes(monkeypatch):
    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    assert use_autocast("cuda", gpu) and not use_autocast("cuda", cpu)
    assert not use_autocast("never", gpu) and not use_autocast("never", cpu)
    monkeypatch.setattr(engine_module, "cpu_has_bf16", lambda: True)
    assert use_autocast("native", cpu) and use_autocast("native", gpu)
    monkeypatch.setattr(engine_module, "cpu_has_bf16", lambda: False)
    assert not use_autocast("native", cpu)  # emulated bf16 would be slower than fp32
    with pytest.raises(ValueError, match="autocast must be one of"):
        use_autocast("off", cpu)


@pytest.mark.parametrize("mode", ["never", "native"])
def test_native_autocast_trains_in_bf16_on_a_bf16_cpu_and_keeps_fp32_weights(tmp_path, monkeypatch, mode):
    monkeypatch.setattr(engine_module, "cpu_has_bf16", lambda: True)  # the CPU kernels run on any CPU, emulated or not
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.Flatten(), torch.nn.Linear(64, 1))
    x = torch.randn(8, 1, 6, 6)
    seen = []

    def loss_fn(net, batch):
        out = net(batch)
        seen.append(out.dtype)
        return out.float().square().mean()

    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    config = EngineConfig(2, 10, 0, monitor="loss", mode="min", autocast=mode)
    Engine(model, optimizer, config, tmp_path, torch.device("cpu")).fit(
        lambda epoch, gen: [x], loss_fn, lambda net: {"loss": float(net(x).float().square().mean())})
    assert seen == [torch.bfloat16 if mode == "native" else torch.float32] * 2
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert torch.load(tmp_path / "last.pt", weights_only=True)["model"]["0.weight"].dtype == torch.float32
