"""The study config validates, dry-runs, and every explanation in it works on a grid that can localise."""

import copy
import subprocess
import sys

import pytest
import yaml

from conftest import REPO
from spinexai.config import ConfigError, explanation_grids, validate_config


def _merged(*names: str) -> dict:
    """config/config.yaml with the given config files on top, as Snakemake merges --configfile."""
    def update(base: dict, extra: dict) -> dict:
        for key, value in extra.items():
            base[key] = update(base.get(key, {}), value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
        return base
    config: dict = {}
    for name in ("config.yaml", *names):
        update(config, yaml.safe_load((REPO / "config" / name).read_text()))
    return validate_config(config, REPO / "config/schema.yaml")


def test_study_config_validates_with_five_folds_every_arm_and_every_counterfactual_fold():
    config = _merged("study.yaml")
    assert config["folds"]["n_folds"] == 5
    assert {"protoverse", "protopnet", "baseline"} <= set(config["prototypes"]["arms"])
    assert config["counterfactual"]["folds"] == []


@pytest.mark.parametrize("names", [(), ("study.yaml",)])
def test_default_and_study_grids_can_localise(names):
    assert explanation_grids(_merged(*names)) == []


def test_coarse_grids_are_warned_about():
    config = _merged("test.yaml")
    config["prototypes"].update(input_size=64, pools=5)       # the old laptop default: a 2 x 2 grid
    config["classifier3d"].update(crop=64, input_size=32, pools=3)
    warnings = explanation_grids(config)
    assert any(w.startswith("prototypes: latent grid 2 x 2") for w in warnings)
    assert any(w.startswith("classifier3d: dissected units sit on 16 mm cells") for w in warnings)
    paper = copy.deepcopy(config)
    paper["prototypes"].update(input_size=224, pools=5)
    paper["classifier3d"].update(crop=64, input_size=64, pools=3)
    assert explanation_grids(paper) == []


def test_a_grid_that_cannot_exist_is_refused():
    config = _merged("study.yaml")
    config["prototypes"]["input_size"] = 100  # not divisible by 2**4
    with pytest.raises(ConfigError, match="prototypes.input_size"):
        explanation_grids(config)


def test_blocks_fewer_than_pools_or_too_few_for_the_counterfactual_are_refused():
    config = _merged("study.yaml")
    config["prototypes"]["blocks"] = 3                  # four pools need four blocks
    with pytest.raises(ConfigError, match="prototypes.blocks"):
        explanation_grids(config)
    config = _merged("study.yaml")
    config["counterfactual"]["levels"] = 4              # four blocks give three scales
    with pytest.raises(ConfigError, match="counterfactual.levels"):
        explanation_grids(config)


@pytest.mark.slow
def test_study_config_dry_runs(tmp_path):
    """In a directory of its own: a checkout where the study has run would have nothing to do."""
    run = subprocess.run([sys.executable, "-m", "snakemake", "-n", "all", "--snakefile", str(REPO / "Snakefile"),
                          "--directory", str(tmp_path), "--configfile", str(REPO / "config/config.yaml"),
                          str(REPO / "config/study.yaml")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    for rule in ("train_classifier_3d", "train_prototypes", "train_inpainter", "benchmark_fold"):
        assert rule in run.stdout
    assert "warning:" not in run.stdout + run.stderr
