"""Merging the per-subject reformatting results into cohort tables."""

from __future__ import annotations

import pandas as pd

from spinexai.io.tables import EXCLUSIONS, PATCHES, concat_rows


def collect_patches(index_paths: list[str], ingest_excluded: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(patches table, every exclusion of ingest and reformat); zero exclusion rows when nothing was dropped."""
    frames = [pd.read_parquet(p) for p in index_paths]
    frames = [f for f in frames if len(f)]
    patches = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=PATCHES.names)
    patches = patches.sort_values(["subject", "series", "label"]).reset_index(drop=True)
    # Callables, not patches["ct_path"]: assigning a Series to an empty frame adopts its index (NaN rows).
    late = patches[patches["status"] == "excluded"].assign(stage="reformat",
                                                           file=lambda d: d["ct_path"] if "ct_path" in d else "")
    exclusions = concat_rows([ingest_excluded, late.reindex(columns=EXCLUSIONS.names)], EXCLUSIONS)
    return patches, exclusions
