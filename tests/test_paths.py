"""spinexai.paths, the one owner of the shared artefact paths, agrees with the table schemas' paths."""

from pathlib import Path

from spinexai import paths
from spinexai.io import tables as T


def _schema_form(pattern: str) -> str:
    return pattern.replace("{fold}", "<k>").replace("{subject}", "<id>").replace("{label}", "<label>")


def test_the_shared_tables_live_where_their_schemas_say():
    for path, schema in ((paths.MANIFEST, T.MANIFEST), (paths.EXCLUSIONS, T.EXCLUSIONS), (paths.PATCHES, T.PATCHES),
                         (paths.FOLDS, T.FOLDS), (paths.HEIGHTS, T.MORPHOMETRY), (paths.CASES, T.CASES),
                         (f"{paths.CASE_DIR}/overlays.parquet", T.CASE_OVERLAYS),
                         (f"{paths.CASE_RELEVANCE_DIR}/relevance.parquet", T.CASE_RELEVANCE)):
        assert _schema_form(path) == schema.path


def test_under_fills_the_wildcards_below_a_results_folder(tmp_path):
    got = paths.under(tmp_path / "results", paths.CASE_DIR, fold=2, subject="synth001", label=20)
    assert got == tmp_path / "results" / "cases" / "fold2" / "sub-synth001_vert-20"
    assert paths.under("r", paths.PATCHES) == Path("r/data/patches.parquet")
