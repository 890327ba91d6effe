"""The prototype evaluation on its own: top-k prototypes, their heatmap peaks against the regions, and the
contributions, on a network whose prototype is planted on one latent cell."""

import numpy as np
import pandas as pd
import torch

from spinexai.data.images2d import ImageSet
from spinexai.prototypes.evaluate import prototype_outputs
from spinexai.prototypes.network import PrototypeNet
from spinexai.prototypes.projection import latent_batched

PARAMS_KW = dict(input_size=32, width=4, proto_dim=8, per_class=2, pools=2, blocks=3)


def _setup():
    from spinexai.prototypes.params import ProtoParams

    params = ProtoParams(**PARAMS_KW)
    torch.manual_seed(0)
    net = PrototypeNet(params).eval()
    x = torch.rand(2, params.in_channels, 32, 32)
    rows = pd.DataFrame({"subject": ["a", "b"], "label": [20, 21], "level": ["L1", "L2"], "grade": [2, 0],
                         "target": [1, 0]})
    cell = (2, 5)  # latent cell of image 0 on the 8 x 8 grid: pixels rows 8-11, cols 20-23
    with torch.no_grad():
        z = latent_batched(net, x, 4)
        net.prototypes[3] = z[0, :, cell[0], cell[1]].view_as(net.prototypes[3])  # a G2 prototype (class 1)
    return params, net, ImageSet(rows, x, torch.tensor([1, 0])), cell


def test_the_planted_prototype_ranks_first_and_peaks_on_its_cell():
    params, net, data, (r, c) = _setup()
    regions = np.zeros((2, 32, 32), bool)
    regions[0, 4 * r:4 * r + 4, 4 * c:4 * c + 4] = True
    bodies = np.ones((2, 32, 32), bool)
    top, contrib, pred, maps = prototype_outputs(net, data, params, "test", regions, bodies)
    first = top[(top["subject"] == "a") & (top["rank"] == 1)].iloc[0]
    assert first.prototype == 3 and first.prototype_grade == 2
    assert abs(first.peak_row - (4 * r + 1.5)) <= 2 and abs(first.peak_col - (4 * c + 1.5)) <= 2
    assert first.peak_in_fracture == 1 and first.peak_in_body == 1
    assert np.isnan(top[top["subject"] == "b"]["peak_in_fracture"]).all()  # no region: not scored
    assert maps.shape == (2, 6, 8, 8) and np.unravel_index(maps[0, 3].argmax(), (8, 8)) == (r, c)
    assert sorted(top.groupby("subject").size()) == [3, 3]


def test_contributions_sum_to_the_true_class_logit():
    params, net, data, _ = _setup()
    none = np.zeros((2, 32, 32), bool)
    _, contrib, _, _ = prototype_outputs(net, data, params, "test", none, none)
    with torch.no_grad():
        logits = net(data.x)["logits"]
    for n, row in enumerate(data.rows.itertuples()):
        total = contrib[contrib["subject"] == row.subject]["contribution"].sum()
        assert np.isclose(total, float(logits[n, row.target]), atol=1e-4)
