"""The ``counterfactual:`` config section (methods section 5)."""

from __future__ import annotations

from dataclasses import dataclass, field

from spinexai.config import ConfigSection


@dataclass(frozen=True)
class CounterfactualParams(ConfigSection):
    """Defaults follow Lenis et al. 2020 and Liu et al. 2018."""

    classifier_arm: str = "baseline"       # the prototypes arm (model: baseline) whose 2D classifier is explained
    folds: tuple[int, ...] = ()            # folds to explain; empty: every fold
    fracture_threshold: float = 0.5        # theta: p(fracture) at or above it counts as fractured
    # inpainter (partial-convolution U-Net)
    inpainter_depth: int = 5
    inpainter_width: int = 64
    phase1_epochs: int = 40
    phase2_epochs: int = 20
    lr_phase1: float = 2e-4
    lr_phase2: float = 5e-5
    inpainter_batch_size: int = 32
    blob_fraction: float = 0.5             # share of training masks that are blobs (the rest are strokes)
    inpainter_flip: bool = False           # mirror training images superior-inferior at random (not in the papers)
    loss_weights: dict = field(default_factory=lambda: {"valid": 1.0, "hole": 6.0, "perceptual": 0.05,
                                                        "style": 120.0, "tv": 0.1})
    # attribution network
    attribution_images: str = "all"        # all, or positive: the vertebrae the classifier calls fractured (p >= theta)
    levels: int = 4                        # classifier scales merged by the upsampling path
    threshold: float = 0.55                # binarisation of the map
    max_area: float = 0.1                  # delta: mean(map) above it is penalised
    objective_weights: dict = field(default_factory=lambda: {"class": 1.0, "odds": 1.0, "tv": 1.0, "area": 100.0})
    tv_sigma: float = 0.05                 # image-difference scale of the weighted TV (CT in [0, 1])
    term_scale: float = 1.0                # scale of the squashing of each objective term
    bounding: str = "softsign"             # softsign t/(s+|t|) or logistic (the paper's; saturates, see attribution.bounded)
    optimizer: str = "adam"                # adam (methods section 5) or sgd (the paper's "standard gradient descent")
    lr_min: float = 1e-6
    lr_max: float = 1e-4
    cycle_epochs: float = 2.0              # half a cyclic-lr period, in epochs
    attribution_epochs: int = 200
    patience: int = 30
    attribution_batch_size: int = 64
    # evaluation
    evaluate_splits: tuple[str, ...] = ("val", "test")  # splits whose maps are scored (evaluate_attribution)
    repetitions: int = 10                  # random healthy-tissue masks of the domain test
    percentiles: tuple[int, ...] = (50, 75, 90)
    box_iou: float = 0.125                 # weak localisation: a ground-truth box counts as found at IoU >= this
    hausdorff: str = "component_median"    # per image: median over (truth, map) component pairs (the paper), or whole_mask
    optimisation_steps: int = 100          # iterative mask-optimisation baseline of the timing table
    gallery_cases: int = 8
    timing_repeats: int = 3
    timing_maps: int = 8                   # images the iterative baseline is timed on (it costs steps x a training step each)
    seed: int = 0
    device: str = "auto"
    autocast: str = "cuda"                # bf16 autocast in training: cuda (a GPU only), native (also a CPU with bf16 instructions), never


_COMMON = ("classifier_arm", "seed", "device", "autocast")
_INPAINTER = ("inpainter_depth", "inpainter_width", "phase1_epochs", "phase2_epochs", "lr_phase1", "lr_phase2",
              "inpainter_batch_size", "blob_fraction", "inpainter_flip", "loss_weights")
_ATTRIBUTION = ("attribution_images", "fracture_threshold", "levels", "threshold", "max_area", "objective_weights",
                "tv_sigma", "term_scale", "bounding", "optimizer", "lr_min", "lr_max", "cycle_epochs", "attribution_epochs", "patience",
                "attribution_batch_size")
STAGE_KEYS = {
    "train_inpainter": _COMMON + _INPAINTER,
    "evaluate_inpainter": _COMMON + _INPAINTER + ("repetitions", "fracture_threshold"),
    "train_attribution": _COMMON + _INPAINTER + _ATTRIBUTION,
    "evaluate_attribution": _COMMON + _INPAINTER + _ATTRIBUTION + (
        "evaluate_splits", "percentiles", "box_iou", "hausdorff", "optimisation_steps", "gallery_cases", "timing_repeats", "timing_maps"),
}


def stage_section(section: dict, stage: str) -> dict:
    """The settings one rule reads (defaults filled in), so changing a setting reruns only the rules it touches."""
    from dataclasses import asdict

    full = asdict(CounterfactualParams.from_dict(section))
    return {k: full[k] for k in STAGE_KEYS[stage]}
