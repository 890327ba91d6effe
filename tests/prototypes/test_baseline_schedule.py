"""prototypes.baseline_schedule: cosine anneals the baseline's learning rate to 0 over its epochs, per batch."""

import pandas as pd
import pytest
import torch

from spinexai.data.images2d import ImageSet
from spinexai.prototypes.network import build_model
from spinexai.prototypes.params import ProtoParams
from spinexai.prototypes.train import FoldTrainer
from spinexai.train.weights import class_weights


def _trainer(tmp_path, schedule: str) -> FoldTrainer:
    params = ProtoParams(model="baseline", input_size=32, width=4, pools=2, blocks=3, batch_size=4, baseline_epochs=3,
                         baseline_schedule=schedule, lr_baseline=1e-2)
    trainer = FoldTrainer.__new__(FoldTrainer)  # the fold's images, without reading a dataset
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(10, params.in_channels, 32, 32, generator=g), torch.tensor([0, 1, 2, 0, 1] * 2)
    data = ImageSet(pd.DataFrame(index=range(10)), x, y)
    trainer.params, trainer.fold, trainer.device, trainer.state_dir = params, 0, torch.device("cpu"), tmp_path
    trainer.train = trainer.val = data
    trainer.weights = class_weights([4, 3, 3], params.class_weighting)
    torch.manual_seed(0)
    trainer.model, trainer.history = build_model(params), []
    return trainer


@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_the_learning_rate_at_the_end_of_the_baseline_stage(tmp_path, schedule):
    trainer = _trainer(tmp_path, schedule)
    trainer.fit_baseline()
    state = torch.load(tmp_path / "baseline" / "last.pt", weights_only=True)
    lr = state["optimizer"]["param_groups"][0]["lr"]
    if schedule == "cosine":
        assert state["scheduler"]["last_epoch"] == 3 * 3  # 3 epochs of ceil(10 / 4) batches
        assert lr == pytest.approx(0.0, abs=1e-9)
    else:
        assert state["scheduler"] == {} and lr == 1e-2
