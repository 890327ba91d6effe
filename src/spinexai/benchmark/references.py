"""Reference maps that need no model: a Gaussian at the vertebra's centre and a uniform random map."""

from __future__ import annotations

import numpy as np

from spinexai.benchmark.grids import Grid


def centre_prior(grid: Grid, body_height_mm: float) -> np.ndarray:
    """Isotropic Gaussian (in mm) at the vertebra's centre with sigma a quarter of the body height."""
    sigma = max(body_height_mm, 1e-6) / 4
    axes = np.meshgrid(*[(np.arange(n) - c) * s for n, c, s in zip(grid.shape, grid.centre, grid.spacing, strict=True)],
                       indexing="ij")
    squared = sum(a ** 2 for a in axes)
    return np.exp(-squared / (2 * sigma ** 2))


def random_map(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Uniform [0, 1) values from a generator seeded by ``seed``."""
    return np.random.default_rng(seed).random(shape)


def vertebra_seed(seed: int, subject: str, label: int) -> int:
    """A per-vertebra seed that does not depend on the order of vertebrae or folds."""
    return int(np.random.SeedSequence([seed, label, *subject.encode()]).generate_state(1)[0])
