"""VGG-11 convolutional features (Simonyan and Zisserman 2014), the ProtoVerse backbone.

Written here rather than imported from torchvision: torchvision would add a dependency pinned to one
torch release, with compiled operators, for eight convolutions. The module layout matches
``torchvision.models.vgg11().features`` index for index, so a user's torchvision state dict loads
as it is (offline, from a path the user gives; nothing is downloaded).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from spinexai.errors import InputError

VGG11 = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M")


class VGG11Features(nn.Module):
    """``features``: the conv/ReLU/max-pool stack; ``width`` scales the channels (64 is VGG-11 itself).
    ``batch_norm`` adds a BatchNorm2d after each convolution (torchvision's ``vgg11_bn`` layout).
    ``pools`` keeps the first max-pools (VGG-11: 5) and puts an identity in place of the others, so a
    smaller input gets the same latent grid (56^2 with 3 pools: 7 x 7 as 224^2 with 5) and the layer
    indices stay torchvision's. ``blocks`` keeps the first convolution blocks (a block ends where a pool
    sits; VGG-11: 5) and drops the rest, which bounds the receptive field of a latent cell (VGG-11 at
    stride 16 through four blocks: 70 px; with the fifth block kept at that stride: 134 px, more than a
    112 px image, so every cell sees the whole image). ``padding_mode`` is the convolutions'
    (torchvision: zeros; replicate keeps the image border from looking like an edge against air)."""

    def __init__(self, in_channels: int = 3, width: int = 64, batch_norm: bool = False, pools: int = 5,
                 padding_mode: str = "zeros", blocks: int = 5) -> None:
        super().__init__()
        if not 1 <= pools <= 5:
            raise ValueError(f"pools must be 1-5, got {pools}")
        if not pools <= blocks <= 5:
            raise ValueError(f"blocks must be between pools ({pools}) and 5, got {blocks}")
        layers: list[nn.Module] = []
        channels = in_channels
        seen = 0
        for item in VGG11:
            if item == "M":
                seen += 1
                layers.append(nn.MaxPool2d(2, 2) if seen <= pools else nn.Identity())
                if seen == blocks:
                    break
            else:
                out = max(1, int(item) * width // 64)
                norm = [nn.BatchNorm2d(out)] if batch_norm else []
                # ReLU not in place: Grad-CAM hooks the last one
                layers += [nn.Conv2d(channels, out, 3, padding=1, padding_mode=padding_mode), *norm, nn.ReLU()]
                channels = out
        self.features = nn.Sequential(*layers)
        for m in self.features:
            if isinstance(m, nn.Conv2d):  # torchvision's VGG init: PyTorch's default lets the signal fade over 8 layers
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
        self.out_channels = channels
        self.in_channels = in_channels
        self.width = width
        self.batch_norm = batch_norm
        self.pools = pools
        self.blocks = blocks
        self.padding_mode = padding_mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)

    def train(self, mode: bool = True) -> VGG11Features:
        """A frozen backbone (no parameter requires grad) stays in eval mode, so batch norm keeps its
        running statistics while only the layers above it train (ProtoPNet's warm-up and last-layer
        stages: the projected prototypes must stay exact training-patch features)."""
        super().train(mode)
        if mode and not any(p.requires_grad for p in self.parameters()):
            super().train(False)
        return self

    def taps(self, x: torch.Tensor, stages: int | None = None) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Activations at every stage (the first ``stages`` only, when given, without running the rest):
        the last ReLU output before each max-pool (or the identity in a dropped pool's place, where the
        scale stays), and each pool's output."""
        before, after = [], []
        for layer in self.features:
            if isinstance(layer, (nn.MaxPool2d, nn.Identity)):
                before.append(x)
                x = layer(x)
                after.append(x)
                if stages is not None and len(after) == stages:
                    break
            else:
                x = layer(x)
        return before, after

    @property
    def last_conv_layer(self) -> str:
        """Name of the last ReLU (Grad-CAM's target layer)."""
        return f"features.{len(self.features) - 2}"


def load_vgg11_weights(model: VGG11Features, path: str | Path) -> None:
    """Load torchvision-style VGG-11 weights (``features.N.weight``/``bias`` keys; classifier keys are
    ignored) into ``model``; the file must match the model's width and input channels."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "prototypes.pretrained", "no such weights file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unreadable file gets one clear line
        raise InputError(path, None, f"not a readable torch state dict ({err.__class__.__name__}: {err})") from None
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise InputError(path, None, "expected a state dict (a mapping of parameter names to tensors)")
    wanted = model.state_dict()
    features = {k: v for k, v in state.items() if k.startswith("features.")}
    missing = sorted(set(wanted) - set(features))
    if missing:
        kind = "vgg11_bn (prototypes.batch_norm is on)" if model.batch_norm else "vgg11 (prototypes.batch_norm is off)"
        raise InputError(path, missing[0], f"missing from the file ({len(missing)} feature tensors missing; "
                                           f"expected torchvision {kind} weights)")
    for key, tensor in wanted.items():
        if tuple(features[key].shape) != tuple(tensor.shape):
            raise InputError(path, key, f"shape {tuple(features[key].shape)} does not fit the model's "
                             f"{tuple(tensor.shape)} (width and input channels must match VGG-11 with 3 channels)")
    model.load_state_dict({k: features[k] for k in wanted})
