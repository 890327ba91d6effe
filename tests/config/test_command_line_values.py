"""Values from Snakemake's --config arrive as strings below the top level; the schema's types win."""

import pytest

from conftest import REPO
from spinexai.config import ConfigError, validate_config

SCHEMA = REPO / "config/schema.yaml"


def test_nested_command_line_strings_become_the_schema_types():
    config = validate_config({"folds": {"n_folds": "3", "test_fraction": "0.25"},
                              "prototypes": {"batch_norm": "true", "grades": ["0", "2", "3"]},
                              "dataset": {"kind": "synthetic"}}, SCHEMA)
    assert config["folds"]["n_folds"] == 3 and config["folds"]["test_fraction"] == 0.25
    assert config["prototypes"]["batch_norm"] is True and config["prototypes"]["grades"] == [0, 2, 3]
    assert config["dataset"]["kind"] == "synthetic"


def test_a_string_that_is_not_a_number_is_still_refused_with_its_key():
    with pytest.raises(ConfigError, match="folds.n_folds"):
        validate_config({"folds": {"n_folds": "three"}}, SCHEMA)
