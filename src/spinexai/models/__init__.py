"""Networks: the Models-Genesis-style U-Net encoder and the fracture classifier built on it."""

from spinexai.models.classifier import FractureClassifier
from spinexai.models.encoder import UNetEncoder

__all__ = ["FractureClassifier", "UNetEncoder"]
