"""The prototype network: similarity, last-layer initialisation, logits as contributions, projection."""

import pytest
import torch

from spinexai.models.classifier2d import BaselineNet
from spinexai.prototypes.network import PrototypeNet, log_similarity
from spinexai.prototypes.params import ProtoParams
from spinexai.prototypes.projection import push_prototypes, top_box

PARAMS = ProtoParams(input_size=32, width=4, proto_dim=8, per_class=2)


def test_log_similarity():
    d = torch.tensor([0.0, 1.0, 9.0])
    expected = torch.log((d + 1) / (d + 1e-4))
    assert torch.allclose(log_similarity(d), expected)
    assert log_similarity(torch.tensor(0.0)).item() == pytest.approx(torch.log(torch.tensor(1e4)).item())


def test_last_layer_starts_at_one_and_minus_half():
    net = PrototypeNet(PARAMS)
    expected = torch.tensor([[1.0, 1.0, -0.5, -0.5, -0.5, -0.5], [-0.5, -0.5, 1.0, 1.0, -0.5, -0.5],
                             [-0.5, -0.5, -0.5, -0.5, 1.0, 1.0]])
    assert torch.equal(net.last_layer.weight.data, expected)
    assert net.prototype_class.tolist() == [0, 0, 1, 1, 2, 2]


def test_distances_match_a_direct_computation():
    torch.manual_seed(0)
    net = PrototypeNet(PARAMS).eval()
    z = torch.rand(3, 8, 2, 2)
    direct = ((z[:, None] - net.prototypes[None, :, :, 0, 0, None, None]) ** 2).sum(2)
    assert torch.allclose(net.distances(z), direct, atol=1e-5)


def test_logits_are_the_sum_of_similarity_times_connection():
    torch.manual_seed(1)
    net = PrototypeNet(PARAMS).eval()
    with torch.no_grad():
        net.last_layer.weight.normal_()
        out = net(torch.rand(4, 2, 32, 32))
    contributions = out["similarity"][:, None, :] * net.last_layer.weight[None]  # (B, classes, P)
    assert torch.allclose(out["logits"], contributions.sum(-1), atol=1e-5)
    assert torch.allclose(out["similarity"], log_similarity(out["distance_maps"].flatten(2).amin(-1)))


def test_projection_puts_each_prototype_on_a_latent_patch_of_its_own_class():
    torch.manual_seed(2)
    params = ProtoParams(input_size=64, width=4, proto_dim=8, per_class=2)
    net = PrototypeNet(params).eval()
    x = torch.rand(6, 2, 64, 64)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    table = push_prototypes(net, x, y, batch_size=4)
    with torch.no_grad():
        z = net.latent(x)
    for row in table.itertuples():
        assert y[row.index].item() == row.prototype_class
        patch = z[row.index, :, row.row, row.col]
        assert torch.allclose(net.prototypes[row.prototype].flatten(), patch, atol=1e-6)
        # ... and it is the nearest such patch
        own = z[y == row.prototype_class]
        assert ((own - patch[None, :, None, None]) ** 2).sum(1).min() <= 1e-10


def test_prototype_of_a_class_without_images_is_left_alone():
    net = PrototypeNet(PARAMS).eval()
    before = net.prototypes.detach().clone()
    table = push_prototypes(net, torch.rand(2, 2, 32, 32), torch.tensor([0, 0]), batch_size=2)
    assert (table.status != "projected").sum() == 4
    assert torch.equal(net.prototypes[2:], before[2:])


def test_top_box_encloses_the_top_fraction():
    sim = torch.zeros(20, 20)
    sim[5:8, 10:12] = 1.0
    assert top_box(sim.numpy(), 6 / 400) == (5, 8, 10, 12)


def test_baseline_has_the_same_backbone():
    base, proto = BaselineNet(PARAMS), PrototypeNet(PARAMS)
    assert base.backbone.state_dict().keys() == proto.backbone.state_dict().keys()
    assert base(torch.rand(2, 2, 32, 32)).shape == (2, 3)


def test_window_confines_matching_projection_and_heatmap_peak_to_the_centre():
    torch.manual_seed(3)
    params = ProtoParams(input_size=112, width=4, proto_dim=8, per_class=2, pools=4, window=3)
    net = PrototypeNet(params).eval()
    z = torch.rand(6, 8, 7, 7)
    with torch.no_grad():
        net.prototypes.data[:] = z[0, :, 0, 0].view(1, 8, 1, 1)   # every prototype equals a corner patch
        d = net.distances(z)
    inside = net.inside_window(7, 7)
    assert inside.sum() == 9 and bool(inside[2:5, 2:5].all())
    assert d[0, 0, 0, 0] > 0                                       # the exact corner match is ignored
    flat = d.flatten(2)
    assert bool((flat.argmin(-1) // 7 >= 2).all()) and bool((flat.argmin(-1) // 7 <= 4).all())
    x = torch.rand(6, 2, 112, 112)
    table = push_prototypes(net, x, torch.tensor([0, 1, 2, 0, 1, 2]), batch_size=4)
    assert table.row.between(2, 4).all() and table.col.between(2, 4).all()
    assert torch.allclose(PrototypeNet(ProtoParams(input_size=112, width=4, proto_dim=8, per_class=2, pools=4)).inside_window(7, 7).float(),
                          torch.ones(7, 7))
