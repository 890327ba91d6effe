"""The prototype network (ProtoPNet layout with ProtoVerse's losses) and the non-prototype baseline.

Both read the 2D mid-sagittal reformation through VGG-11 features. The prototype network adds two
1x1 convolutions (ReLU, then sigmoid) to ``proto_dim`` channels, ``per_class`` prototypes of shape
1 x 1 x D per grade, the log similarity and a last layer initialised to 1 (own class) / -0.5.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from spinexai.models.classifier2d import BaselineNet
from spinexai.models.vgg import VGG11Features
from spinexai.prototypes.params import ProtoParams


def log_similarity(distance: torch.Tensor) -> torch.Tensor:
    """ProtoPNet's similarity log((d + 1) / (d + 1e-4)) of a squared L2 distance."""
    return torch.log((distance + 1) / (distance + 1e-4))


class PrototypeNet(nn.Module):
    """``forward`` returns logits, min distances (B, P) and the squared distance maps (B, P, H, W)."""

    def __init__(self, params: ProtoParams) -> None:
        super().__init__()
        self.backbone = VGG11Features(params.in_channels, params.width, params.batch_norm, params.pools, params.padding,
                                      params.blocks)
        c = self.backbone.out_channels
        self.add_on = nn.Sequential(nn.Conv2d(c, params.proto_dim, 1), nn.ReLU(),
                                    nn.Conv2d(params.proto_dim, params.proto_dim, 1), nn.Sigmoid())
        for m in self.add_on:
            if isinstance(m, nn.Conv2d):  # as ProtoPNet initialises its add-on layers
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
        n_classes, m = params.n_classes, params.per_class
        self.register_buffer("prototype_class", torch.arange(n_classes).repeat_interleave(m))
        self.prototypes = nn.Parameter(torch.rand(n_classes * m, params.proto_dim, 1, 1))
        self.last_layer = nn.Linear(n_classes * m, n_classes, bias=False)
        self.reset_last_layer()
        self.window = params.window

    @property
    def identity(self) -> torch.Tensor:
        """(classes, prototypes): 1 where the prototype belongs to the class."""
        classes = torch.arange(self.last_layer.out_features, device=self.prototype_class.device)
        return (classes[:, None] == self.prototype_class[None]).float()

    def reset_last_layer(self, incorrect: float = -0.5) -> None:
        with torch.no_grad():
            identity = self.identity
            self.last_layer.weight.copy_(identity + incorrect * (1 - identity))

    def latent(self, x: torch.Tensor) -> torch.Tensor:
        return self.add_on(self.backbone(x))

    def inside_window(self, height: int, width: int, device: torch.device | str = "cpu") -> torch.Tensor:
        """(H, W) bool: the latent cells prototypes match in, the central ``window`` x ``window`` cells
        (every cell when ``window`` is 0 or covers the grid)."""
        inside = torch.ones((height, width), dtype=torch.bool, device=device)
        if self.window and self.window < min(height, width):
            r0, c0 = (height - self.window) // 2, (width - self.window) // 2
            inside[:] = False
            inside[r0:r0 + self.window, c0:c0 + self.window] = True
        return inside

    def distances(self, z: torch.Tensor) -> torch.Tensor:
        """Squared L2 distance of every latent position to every prototype, in fp32 (also under autocast).
        Outside the matching window each map holds its largest in-window distance (no gradient), so the
        minimum, the similarity score and the heatmap's peak all come from the window."""
        z = z.float()
        p = self.prototypes.float()
        with torch.autocast(device_type=z.device.type, enabled=False):
            z2 = (z ** 2).sum(1, keepdim=True)
            p2 = (p ** 2).sum(dim=(1, 2, 3)).view(1, -1, 1, 1)
            d = F.relu(z2 - 2 * F.conv2d(z, p) + p2)
        return self.confine(d)

    def confine(self, d: torch.Tensor) -> torch.Tensor:
        """Distance maps (..., H, W) with every cell outside the matching window set to the map's largest
        in-window distance (no gradient)."""
        inside = self.inside_window(d.shape[-2], d.shape[-1], d.device)
        if bool(inside.all()):
            return d
        fill = torch.where(inside, d, torch.zeros_like(d)).amax((-2, -1), keepdim=True).detach()
        return torch.where(inside, d, fill)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        maps = self.distances(self.latent(x))
        min_distances = maps.flatten(2).amin(-1)
        similarity = log_similarity(min_distances)
        return {"logits": self.last_layer(similarity), "min_distances": min_distances, "similarity": similarity,
                "distance_maps": maps}


def build_model(params: ProtoParams) -> nn.Module:
    return PrototypeNet(params) if params.model == "protoverse" else BaselineNet(params)


def logits_of(out) -> torch.Tensor:
    return out["logits"] if isinstance(out, dict) else out
