import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score, average_precision_score, f1_score, roc_auc_score

from spinexai.fracture3d.classifier import balanced_epoch, predict
from spinexai.metrics import binary_metrics
from spinexai.models import FractureClassifier


@pytest.mark.parametrize("spatial_dims, size", [(3, 24), (2, 40)])
@pytest.mark.parametrize("head", ["pool", "conv"])
def test_shapes(spatial_dims, size, head):
    model = FractureClassifier(spatial_dims, 2, width=2, head=head)
    x = torch.randn(3, 2, *(size,) * spatial_dims)
    assert model(x).shape == (3,)
    assert model.features(x).shape == (3, 32, *(size // 8,) * spatial_dims)


def test_eval_predictions_do_not_depend_on_the_batch_size():
    torch.manual_seed(0)
    model = FractureClassifier(3, 1, width=2)
    model.train()
    for _ in range(3):  # move the running statistics away from their initial values
        model(torch.rand(8, 1, 16, 16, 16))
    x = torch.rand(32, 1, 16, 16, 16)
    np.testing.assert_allclose(predict(model, x, batch_size=1), predict(model, x, batch_size=32), rtol=1e-5, atol=1e-6)


def test_paper_width_gives_512_units():
    assert FractureClassifier(3, 1, width=32).encoder.out_channels == 512


def test_metrics_match_scikit_learn():
    rng = np.random.default_rng(0)
    y = rng.random(200) < 0.2
    p = np.clip(y * 0.3 + rng.random(200) * 0.7, 0, 1)
    m = binary_metrics(y, p, 0.5)
    pred = p >= 0.5
    assert m["f1"] == pytest.approx(f1_score(y, pred))
    assert m["accuracy"] == pytest.approx(accuracy_score(y, pred))
    assert m["auc"] == pytest.approx(roc_auc_score(y, p))
    assert m["ap"] == pytest.approx(average_precision_score(y, p))
    assert m["sensitivity"] == pytest.approx(pred[y].mean())
    assert np.isnan(binary_metrics(np.zeros(5), np.zeros(5))["auc"])


def test_balanced_epoch():
    labels = torch.tensor([True] * 5 + [False] * 45)
    idx = balanced_epoch(labels, torch.Generator().manual_seed(0))
    assert labels[idx].sum() == (~labels[idx]).sum() == 25
    assert len(set(idx[~labels[idx]].tolist())) == 25  # negatives without replacement
