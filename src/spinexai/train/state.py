"""Where resumable training state lives: a folder keyed by the parameters and the training data."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, is_dataclass
from pathlib import Path

import pandas as pd


def state_dir_for(root: str | Path, params, *tables: pd.DataFrame) -> Path:
    """``root/<hash>``: a checkpoint is resumed only by a job with the same params and data tables."""
    payload = json.dumps(asdict(params) if is_dataclass(params) else params, sort_keys=True, default=str)
    digest = hashlib.sha256(payload.encode())
    for table in tables:
        digest.update(pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes())
    return Path(root) / digest.hexdigest()[:16]
