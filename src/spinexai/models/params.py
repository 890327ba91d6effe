"""The config section that builds the 2D grade classifier (``Classifier2dParams``), free of torch so
that the workflow can read it while parsing the Snakefile. ``spinexai.prototypes.params.ProtoParams``
extends these settings with the prototype layer's and the training schedule's."""

from __future__ import annotations

from dataclasses import dataclass

from spinexai.config import ConfigSection


@dataclass(frozen=True)
class Classifier2dParams(ConfigSection):
    """What builds and feeds the 2D classifier (a ``prototypes:`` arm's section)."""

    grades: tuple[int, ...] = (0, 2, 3)
    input_size: int = 224
    width: int = 64                       # VGG-11 channel width (64 = VGG-11 itself)
    pretrained: str = ""                  # torchvision VGG-11 weights file; empty: train from scratch
    batch_norm: bool = False              # VGG-11-BN (torchvision vgg11_bn layout); the papers' VGG-11 has none
    pools: int = 5                        # VGG-11 max-pools kept (5: VGG-11); the latent grid is input_size / 2**pools
    padding: str = "zeros"                # convolution padding: zeros (VGG-11) or replicate
    blocks: int = 5                       # VGG-11 convolution blocks kept (5: VGG-11); fewer bound the receptive field
    model: str = "protoverse"             # protoverse (prototype layer) or baseline (pooled linear head)
    batch_size: int = 64

    @property
    def n_classes(self) -> int:
        return len(self.grades)

    @property
    def in_channels(self) -> int:
        """(image, Gaussian) from scratch; (image, image, Gaussian) with 3-channel pretrained weights."""
        return 3 if self.pretrained else 2

    @property
    def latent_grid(self) -> int:
        """Edge of the backbone's latent grid (prototype patches, the baseline's last feature map)."""
        return self.input_size // 2 ** self.pools
