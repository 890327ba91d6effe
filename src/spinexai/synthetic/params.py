"""Parameters of the synthetic cohort (the ``synthetic:`` section of the config)."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class SyntheticParams:
    """Ranges the generator draws from. Defaults follow shared/design/synthetic_cohort.md."""

    n_subjects: int = 40
    seed: int = 1234
    fracture_prevalence: float = 0.06  # share of fractured vertebrae in the cohort (expected)
    osteoporosis_fraction: float = 0.3
    grade_probs: tuple[float, float, float] = (0.35, 0.40, 0.25)  # G1, G2, G3 among fractures
    morphology_probs: tuple[float, float, float] = (0.55, 0.30, 0.15)  # wedge, biconcave, crush
    acute_fraction: float = 0.5  # fractures with a sclerotic compaction band
    inplane_spacing_mm: tuple[float, float] = (0.3, 1.0)
    slice_spacing_mm: tuple[float, float] = (0.6, 3.0)
    orientations: tuple[str, ...] = ("RAS", "LPS", "LAS", "PIR", "ASL", "IPL", "LPI", "RPI")
    oblique_probability: float = 0.3
    oblique_max_deg: float = 15.0
    fov_cut_probability: float = 0.3
    fov_lateral_mm: tuple[float, float] = (140.0, 200.0)
    fov_ap_mm: tuple[float, float] = (130.0, 180.0)
    noise_hu: tuple[float, float] = (5.0, 30.0)
    texture_hu: tuple[float, float] = (25.0, 45.0)  # SD of the trabecular texture
    psf_sigma_mm: tuple[float, float] = (0.4, 0.8)
    implant_probability: float = 0.05
    scoliosis_probability: float = 0.2
    first_levels: tuple[str, str] = ("T1", "T10")
    last_levels: tuple[str, str] = ("T12", "L5")
    min_vertebrae: int = 5

    @classmethod
    def from_dict(cls, cfg: dict | None) -> SyntheticParams:
        """Build from a config mapping (lists become tuples); unknown keys raise ``KeyError``."""
        cfg = dict(cfg or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(cfg) - known)
        if unknown:
            raise KeyError(f"unknown synthetic parameter(s) {unknown}; known: {sorted(known)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in cfg.items()})

    def subject_ids(self) -> list[str]:
        return [f"synth{n:03d}" for n in range(self.n_subjects)]


