"""Where the pipeline's shared artefacts live, relative to the run directory: one owner for the rules
(``rules/common.smk`` imports this module) and for the Python that finds files (the report, predict).
Patterns hold Snakemake wildcards (``{fold}``, ``{subject}``, ``{label}``), which :func:`under` fills.
Each table's own path is also in its schema (``spinexai.io.schemas``), which a test keeps in step."""

from __future__ import annotations

from pathlib import Path

RESULTS = "results"
DATA = f"{RESULTS}/data"
SYNTH = f"{DATA}/synthetic"
MANIFEST = f"{DATA}/manifest.parquet"
INGEST_EXCLUSIONS = f"{DATA}/ingest_exclusions.parquet"   # the ingest stage's rows of EXCLUSIONS
EXCLUSIONS = f"{DATA}/exclusions.parquet"
PATCHES = f"{DATA}/patches.parquet"
FOLDS = f"{DATA}/folds.parquet"
HEIGHTS = f"{RESULTS}/morphometry/heights.parquet"
CASES = f"{RESULTS}/cases.parquet"

CLASSIFIER3D = f"{RESULTS}/classifier3d"
DISSECTION = f"{RESULTS}/dissection"
KEYPOINTS = f"{RESULTS}/morphometry/keypoints"
PROTOTYPES = f"{RESULTS}/prototypes"
COUNTERFACTUAL = f"{RESULTS}/counterfactual"
BENCHMARK = f"{RESULTS}/benchmark"
PREDICT = f"{RESULTS}/predict"

CASE_DIR = RESULTS + "/cases/fold{fold}/sub-{subject}_vert-{label}"  # case_overlays: the maps on the CT grid
CASE_RELEVANCE_DIR = DISSECTION + "/fold{fold}/cases/sub-{subject}_vert-{label}"  # explain_concepts


def under(results: str | Path, pattern: str, **wildcards: object) -> Path:
    """``pattern`` (one of this module's paths) with its wildcards filled, under the run's ``results`` folder."""
    return Path(results) / pattern.removeprefix(f"{RESULTS}/").format(**wildcards)
