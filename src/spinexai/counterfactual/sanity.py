"""The model-randomisation sanity check (Adebayo et al. 2018) of the counterfactual stage's maps."""

from __future__ import annotations

import copy

import numpy as np
import torch
from scipy.stats import spearmanr

from spinexai.counterfactual.attribution import AttributionNet
from spinexai.models.vgg import VGG11Features


def randomised(model: AttributionNet, score, seed: int) -> tuple[AttributionNet, torch.nn.Module]:
    """Copies of the attribution network and the fracture score whose classifier encoder has freshly
    initialised weights (Adebayo et al.'s model-randomisation test); the trained decoder is kept."""
    torch.manual_seed(seed)
    score = copy.deepcopy(score)
    old = score.classifier.backbone
    score.classifier.backbone = VGG11Features(old.in_channels, old.width, old.batch_norm, old.pools, old.padding_mode, old.blocks).to(
        next(old.parameters()).device).requires_grad_(False).eval()
    random_model = AttributionNet(score.classifier.backbone, model.levels).to(next(model.parameters()).device)
    decoder = {k: v for k, v in model.state_dict().items() if not k.startswith("encoder.")}
    random_model.load_state_dict(decoder, strict=False)
    return random_model.eval(), score.eval()


def rank_correlation(a: torch.Tensor, b: torch.Tensor) -> np.ndarray:
    """Spearman correlation of each pair of maps (NaN for constant maps)."""
    a, b = a.flatten(1).float().cpu().numpy(), b.flatten(1).float().cpu().numpy()
    out = np.full(len(a), np.nan)
    for n in range(len(a)):
        if a[n].std() > 0 and b[n].std() > 0:
            out[n] = spearmanr(a[n], b[n]).statistic
    return out
