"""Networks: the Models-Genesis-style U-Net encoder and the fracture classifier built on it.

The networks load on first use, so that reading a config section from this package
(``spinexai.models.params``, which the Snakefile does) does not import torch and MONAI.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spinexai.models.classifier import FractureClassifier
    from spinexai.models.encoder import UNetEncoder

_LAZY = {"FractureClassifier": "spinexai.models.classifier", "UNetEncoder": "spinexai.models.encoder"}
__all__ = ["FractureClassifier", "UNetEncoder"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
