"""A clean dataset (nothing excluded at ingest or reformat) writes empty exclusion tables with the schema's columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from conftest import verse004_dataset
from spinexai.data.collect import collect_patches
from spinexai.data.ingest import IngestParams, ingest
from spinexai.geometry.reformat import ReformatParams, reformat_subject
from spinexai.io.tables import EXCLUSIONS, MANIFEST, PATCHES, concat_rows, empty_frame, read_table, write_table

PARAMS = ReformatParams(patch_size=48, sagittal_size=64, min_fov_fraction=0.3)


def _assert_empty_exclusions(path: Path) -> None:
    table = pq.read_table(path)
    assert table.num_rows == 0
    assert table.schema.names == EXCLUSIONS.names
    assert table.schema == EXCLUSIONS.arrow()
    assert len(read_table(path, EXCLUSIONS)) == 0


def _manifest_row(label: int, status: str = "included", reason: str = "") -> dict:
    row = dict.fromkeys(MANIFEST.names + PATCHES.names, "")
    row.update(subject="s1", series="", label=label, level=f"L{label - 19}", grade=0, fracture=False, mask_resampled=False,
               centroid_x=0.0, centroid_y=0.0, centroid_z=float(label), ct_path="/data/s1_ct.nii.gz", status=status, reason=reason)
    return row


def test_empty_frame_has_the_schema_columns_and_types(tmp_path: Path) -> None:
    frame = empty_frame(EXCLUSIONS)
    assert list(frame.columns) == EXCLUSIONS.names and len(frame) == 0
    write_table(frame, tmp_path / "ingest_exclusions.parquet", EXCLUSIONS)
    _assert_empty_exclusions(tmp_path / "ingest_exclusions.parquet")


def test_concat_rows_of_empty_frames_gives_zero_rows_not_nan_rows() -> None:
    empty = pd.DataFrame(columns=EXCLUSIONS.names)
    assert len(concat_rows([empty, empty], EXCLUSIONS)) == 0
    assert len(concat_rows([], EXCLUSIONS)) == 0
    one = pd.DataFrame([{"subject": "a", "series": "", "label": 20, "level": "L1", "stage": "ingest", "reason": "r", "file": "f"}])
    both = concat_rows([empty, one], EXCLUSIONS)
    assert len(both) == 1 and both["label"].tolist() == [20] and both["label"].dtype == np.int64


def test_collect_patches_without_any_exclusion(tmp_path: Path) -> None:
    """No vertebra dropped at ingest nor at reformat: zero exclusion rows, not NaN rows (IntCastingNaNError)."""
    rows = [dict(_manifest_row(label), s=float(label), fov_fraction=1.0) for label in (20, 21)]
    index = tmp_path / "index.parquet"
    pd.DataFrame(rows).to_parquet(index, index=False)
    patches, exclusions = collect_patches([str(index)], empty_frame(EXCLUSIONS))
    assert len(patches) == 2 and len(exclusions) == 0
    write_table(patches, tmp_path / "patches.parquet", PATCHES)
    write_table(exclusions, tmp_path / "exclusions.parquet", EXCLUSIONS)
    _assert_empty_exclusions(tmp_path / "exclusions.parquet")


def test_collect_patches_reformat_exclusion_names_the_ct(tmp_path: Path) -> None:
    rows = [dict(_manifest_row(20), s=0.0, fov_fraction=1.0),
            dict(_manifest_row(21, "excluded", "only 10% of the patch lies in the field of view"), s=30.0, fov_fraction=0.1)]
    index = tmp_path / "index.parquet"
    pd.DataFrame(rows).to_parquet(index, index=False)
    _, exclusions = collect_patches([str(index)], empty_frame(EXCLUSIONS))
    assert exclusions[["label", "stage", "file"]].values.tolist() == [[21, "reformat", "/data/s1_ct.nii.gz"]]


def test_ingest_writes_empty_exclusions_when_nothing_is_excluded(tmp_path: Path) -> None:
    """A manifest whose every vertebra is included (the ingest frame used to fill with NaN rows)."""
    root = verse004_dataset(tmp_path / "ds")
    manifest, excluded = ingest(root, IngestParams(centroids="file"))
    assert (manifest.status == "included").all() and len(excluded) == 0
    write_table(excluded, tmp_path / "ingest_exclusions.parquet", EXCLUSIONS)
    _assert_empty_exclusions(tmp_path / "ingest_exclusions.parquet")


def test_real_verse_case_with_zero_exclusions_through_ingest_reformat_collect(tmp_path: Path) -> None:
    """sub-verse004 laid out as VerSe: ingest, reformat and collect as functions, every table written."""
    root = verse004_dataset(tmp_path / "ds")
    out = tmp_path / "results"
    out.mkdir()
    manifest, excluded = ingest(root, IngestParams(centroids="file"))
    assert set(manifest.label) == set(range(16, 25)) and (manifest.status == "included").all()
    write_table(manifest, out / "manifest.parquet", MANIFEST)
    write_table(excluded, out / "ingest_exclusions.parquet", EXCLUSIONS)
    _assert_empty_exclusions(out / "ingest_exclusions.parquet")

    manifest = read_table(out / "manifest.parquet", MANIFEST)
    patches, _ = reformat_subject(manifest[manifest.subject == "verse004"], out / "patches", PARAMS)
    assert (patches.status == "included").all() and len(patches) == 9
    index = out / "index.parquet"
    patches.to_parquet(index, index=False)

    collected, exclusions = collect_patches([str(index)], read_table(out / "ingest_exclusions.parquet", EXCLUSIONS))
    write_table(collected, out / "patches.parquet", PATCHES)
    write_table(exclusions, out / "exclusions.parquet", EXCLUSIONS)
    _assert_empty_exclusions(out / "exclusions.parquet")
    assert len(read_table(out / "patches.parquet", PATCHES)) == 9
