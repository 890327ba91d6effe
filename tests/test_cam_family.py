"""The CAM family points at the evidence: high where the class's evidence is (MONAI's default
normaliser flips maps, which this catches), in 2D and 3D, batched or not."""

import pytest
import torch
from torch import nn

from spinexai.cams import CAM_METHODS, make_cam, unit_scale


class _Spot(nn.Module):
    """One conv channel that copies the image, then global average pooling: class 1's score is the
    image's mean, so its evidence is where the image is bright."""

    def __init__(self, dims: int) -> None:
        super().__init__()
        conv = nn.Conv2d if dims == 2 else nn.Conv3d
        self.conv = conv(1, 1, 3, padding=1)
        with torch.no_grad():
            self.conv.weight.zero_()
            self.conv.weight[(0, 0) + (1,) * dims] = 1.0
            self.conv.bias.zero_()
        self.act = nn.ReLU()
        self.dims = dims

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.act(self.conv(x)).flatten(2).mean(-1)
        return torch.cat([-a, a], 1)


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("name", sorted(CAM_METHODS))
def test_cam_peaks_where_the_evidence_is(name, dims):
    size = 16 if dims == 2 else 8
    x = torch.full((3, 1) + (size,) * dims, 0.05)
    spots = [(2, 3), (12, 9), (7, 14)] if dims == 2 else [(1, 2, 3), (6, 5, 1), (3, 6, 6)]
    for n, spot in enumerate(spots):
        x[(n, 0) + spot] = 1.0
    cam = make_cam(name, _Spot(dims), "act")
    maps = cam(x, class_idx=1)[:, 0]
    assert maps.shape == x[:, 0].shape and float(maps.min()) >= 0 and float(maps.max()) <= 1
    for n, spot in enumerate(spots):
        peak = torch.unravel_index(torch.argmax(maps[n]), maps[n].shape)
        assert tuple(int(p) for p in peak) == spot, (name, n)


def test_unit_scale_keeps_high_high_and_zeroes_constant_maps():
    x = torch.tensor([[[0.0, 2.0, 4.0]], [[3.0, 3.0, 3.0]]])
    out = unit_scale(x)
    assert torch.allclose(out[0, 0], torch.tensor([0.0, 0.5, 1.0])) and torch.equal(out[1], torch.zeros(1, 3))
