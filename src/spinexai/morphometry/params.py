"""The ``keypoints:`` config section (XVFA's keypoint model, its arms and its training)."""

from __future__ import annotations

from dataclasses import dataclass, field

from spinexai.config import ConfigSection
from spinexai.errors import InputError


@dataclass(frozen=True)
class KeypointParams(ConfigSection):
    """The ``keypoints:`` section of the config."""

    input_size: int = 224
    width: int = 16
    epochs: int = 200
    patience: int = 30
    monitor: str = "loss"                 # validation value that keeps the best epoch: loss, or point_error_mm
    batch_size: int = 64
    lr: float = 1e-3
    temperature: float = 0.02
    warmup_epochs: int = 10
    head: str = "soft_argmax"             # how mu is read: soft_argmax of per-point heatmaps, or regression (XVFA)
    rle_base: str = "laplace"
    flow_layers: int = 6
    class_weighting: str = "inverse"
    samples: int = 100
    interval: float = 0.9
    noise_std: float = 0.02
    contrast: float = 0.1
    seed: int = 0
    device: str = "auto"
    autocast: str = "cuda"                # bf16 autocast in training: cuda (a GPU only), native (also a CPU with bf16 instructions), never
    arms: dict = field(default_factory=lambda: {"all": [1.0, 1.0, 1.0]})

    def weights(self, arm: str) -> tuple[float, float, float]:
        if arm not in self.arms:
            raise InputError("config", "keypoints.arms", f"no arm '{arm}' (have {sorted(self.arms)})")
        rle, kps, img = (float(v) for v in self.arms[arm])
        return rle, kps, img
