"""Writing schema tables: a table that cannot be written says which file and column."""

import pandas as pd
import pytest

from spinexai.io.tables import FOLDS, write_table


def test_a_table_that_cannot_be_written_names_the_file_and_column(tmp_path):
    bad = pd.DataFrame({name: ["x"] for name in FOLDS.names})
    bad["fold"] = float("nan")
    with pytest.raises(ValueError, match=r"folds\.parquet: table 'folds', column 'fold'"):
        write_table(bad, tmp_path / "folds.parquet", FOLDS)
    with pytest.raises(ValueError, match=r"folds\.parquet: table 'folds' lacks columns \['fold'\]"):
        write_table(bad.drop(columns=["fold"]), tmp_path / "folds.parquet", FOLDS)
    assert not list(tmp_path.iterdir())


def test_a_step_that_found_nothing_writes_the_schemas_empty_table(tmp_path):
    from spinexai.io.tables import read_table

    write_table(pd.DataFrame(), tmp_path / "folds.parquet", FOLDS)
    empty = read_table(tmp_path / "folds.parquet", FOLDS)
    assert list(empty.columns) == FOLDS.names and not len(empty)
    with pytest.raises(ValueError, match="lacks columns"):  # rows without columns are not "nothing"
        write_table(pd.DataFrame(index=[0, 1]), tmp_path / "folds.parquet", FOLDS)
