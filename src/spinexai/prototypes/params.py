"""The ``prototypes:`` config section and its arms (ProtoVerse, ProtoPNet, the baseline, ablations)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from spinexai.errors import InputError
from spinexai.models.params import Classifier2dParams

MODELS = ("protoverse", "baseline")
WEIGHTINGS = ("none", "inverse", "inverse_sqrt", "median", "median_printed")


@dataclass(frozen=True)
class ProtoParams(Classifier2dParams):
    """Defaults follow methods section 4 and ProtoPNet's schedule (Chen et al. 2019); the backbone's
    settings (grades, input size, width, pools, ...) are those of ``Classifier2dParams``."""

    init_from: str = ""                   # arm (model: baseline) whose same-fold backbone starts the prototype arms
    proto_dim: int = 128
    window: int = 0                       # prototypes match in the central window x window latent cells; 0: all (paper)
    per_class: int = 3
    cluster: float = 0.8
    separation: float = 0.08
    diversity: float = 0.3
    l1: float = 1e-4
    class_weighting: str = "median"
    warmup_epochs: int = 5
    joint_epochs: int = 30                # joint epochs between two projections
    pushes: int = 3                       # projection + last-layer cycles
    last_layer_epochs: int = 20
    lr_features: float = 1e-4
    lr_add_on: float = 3e-3
    lr_prototypes: float = 3e-3
    lr_last_layer: float = 1e-4
    lr_baseline: float = 1e-3
    baseline_epochs: int = 100
    baseline_schedule: str = "constant"   # the baseline's learning rate: constant, or cosine to 0 over its epochs
    precise_bn: bool = False              # BatchNorm statistics recomputed on the training images before each evaluation
    patience: int = 30
    noise_std: float = 0.02
    contrast: float = 0.1
    shift: float = 0.05                   # random translation, fraction of the field of view
    top_fraction: float = 0.02            # projection box encloses the top 2% of the similarity map
    seed: int = 0
    device: str = "auto"
    autocast: str = "cuda"                # bf16 autocast in training: cuda (a GPU only), native (also a CPU with bf16 instructions), never
    main_arm: str = "protoverse"
    compare: tuple[str, ...] = ("protopnet", "baseline")  # arms of Tables 1-2 next to the main arm
    reader_fold: int = -1                  # fold whose model the reader kit shows; -1: best validation class F1
    raters: int = 2                        # blank reader forms written
    reader_forms: tuple[str, ...] = ()     # filled forms to score (Table 4 analogue)
    arms: dict = field(default_factory=lambda: {"protoverse": {}, "protopnet": {"diversity": 0.0},
                                                "baseline": {"model": "baseline"}})

    def for_arm(self, arm: str) -> ProtoParams:
        """These parameters with the arm's overrides applied."""
        if arm not in self.arms:
            raise InputError("config", "prototypes.arms", f"no arm '{arm}' (have {sorted(self.arms)})")
        overrides = dict(self.arms[arm] or {})
        known = {"model", "per_class", "diversity", "class_weighting", "cluster", "separation", "window", "precise_bn"}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise InputError("config", f"prototypes.arms.{arm}.{unknown[0]}", f"not an arm setting (use {sorted(known)})")
        out = replace(self, **overrides)
        if out.model not in MODELS:
            raise InputError("config", f"prototypes.arms.{arm}.model", f"'{out.model}' is not one of {MODELS}")
        if out.model == "protoverse" and out.init_from:
            source = self.arms.get(out.init_from, None)
            if out.init_from not in self.arms or (source or {}).get("model", self.model) != "baseline":
                raise InputError("config", "prototypes.init_from",
                                 f"'{out.init_from}' is not an arm with model: baseline (arms: {sorted(self.arms)})")
        if out.class_weighting not in WEIGHTINGS:
            raise InputError("config", f"prototypes.arms.{arm}.class_weighting",
                             f"'{out.class_weighting}' is not one of {WEIGHTINGS}")
        return out

    def settings(self) -> dict:
        """The settings that distinguish arms (recorded next to every metric)."""
        proto = self.model == "protoverse"
        return {"model": self.model, "per_class": self.per_class if proto else 0,
                "diversity": self.diversity if proto else 0.0, "class_weighting": self.class_weighting,
                "window": self.window if proto else 0}


# Keys read only by the summary and the reader kit: changing them does not retrain anything.
SUMMARY_KEYS = ("arms", "main_arm", "compare", "reader_fold", "raters", "reader_forms")


def resolved_arm(section: dict, arm: str) -> dict:
    """The config section as one arm trains with it: its overrides applied, summary-only keys left out
    (so changing one arm, or the summary, reruns nothing else)."""
    params = ProtoParams.from_dict(section).for_arm(arm)
    skip = SUMMARY_KEYS + (("init_from",) if params.model == "baseline" else ())
    return {k: v for k, v in asdict(params).items() if k not in skip}
