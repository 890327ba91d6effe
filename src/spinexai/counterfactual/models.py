"""Loading the trained networks of one fold: the 2D classifier (a prototypes baseline arm), the
inpainter and the attribution network, frozen for use by later rules."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from spinexai.counterfactual.attribution import AttributionNet, FractureScore
from spinexai.counterfactual.inpainter import PConvUNet
from spinexai.counterfactual.params import CounterfactualParams
from spinexai.errors import InputError
from spinexai.models.classifier2d import BaselineNet
from spinexai.models.params import Classifier2dParams
from spinexai.train.saving import load_into


def load_classifier(proto: Classifier2dParams, path: str | Path, device: torch.device) -> BaselineNet:
    if proto.model != "baseline":
        raise InputError("config", "counterfactual.classifier_arm", f"the arm's model is '{proto.model}'; "
                         "counterfactual analysis explains a non-prototype classifier (model: baseline)")
    return load_into(BaselineNet(proto), path, device).requires_grad_(False)


def fracture_score(classifier: nn.Module, proto: Classifier2dParams) -> FractureScore:
    """p(healthy) from grade 0, p(fracture) from every other grade of the classifier."""
    healthy = [i for i, g in enumerate(proto.grades) if g == 0]
    fracture = [i for i, g in enumerate(proto.grades) if g != 0]
    if not healthy or not fracture:
        raise InputError("config", "prototypes.grades", "needs grade 0 and at least one fracture grade")
    return FractureScore(classifier, healthy, fracture).eval()


def build_inpainter(cf: CounterfactualParams) -> PConvUNet:
    return PConvUNet(1, cf.inpainter_depth, cf.inpainter_width)


def inpaint_fn(inpainter: PConvUNet):
    """(image, known mask) -> inpainted image, batched, without gradients."""
    def inpaint(image: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return inpainter(image.float(), known.float()).float()
    return inpaint


def build_attribution(classifier: BaselineNet, cf: CounterfactualParams) -> AttributionNet:
    return AttributionNet(classifier.backbone, cf.levels)
