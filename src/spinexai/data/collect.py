"""Merging the per-subject reformatting results into cohort tables."""

from __future__ import annotations

import pandas as pd

from spinexai.io.tables import EXCLUDED, PATCHES


def collect_patches(index_paths: list[str], ingest_excluded: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(patches table, every exclusion of ingest and reformat)."""
    frames = [pd.read_parquet(p) for p in index_paths]
    frames = [f for f in frames if len(f)]
    patches = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=PATCHES.names)
    patches = patches.sort_values(["subject", "series", "label"]).reset_index(drop=True)
    late = patches[patches["status"] == "excluded"].assign(stage="reformat", file=patches["ct_path"] if "ct_path" in patches else "")
    exclusions = pd.concat([ingest_excluded, late.reindex(columns=EXCLUDED.names)], ignore_index=True)
    return patches, exclusions
