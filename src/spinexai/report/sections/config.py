"""The config in force and the package versions."""

from __future__ import annotations

from importlib import metadata

import pandas as pd
import yaml

from spinexai.report.model import Block, Section

PACKAGES = ("spinexai", "torch", "monai", "snakemake", "snakemake-executor-plugin-slurm", "numpy", "pandas",
            "pyarrow", "nibabel", "SimpleITK", "scikit-learn", "matplotlib")


def config_section(report) -> Section:
    versions = pd.DataFrame({"package": PACKAGES, "version": [_version(p) for p in PACKAGES]})
    sources = [Block(heading="Config files in force", pre=report.inputs.config_sources)] if report.inputs.config_sources else []
    return Section("config", "Config and versions", [
        Block(table=versions), *sources,
        Block(heading="Config (after defaults)", pre=yaml.safe_dump(report.cfg, sort_keys=False))])

# -- case pages -------------------------------------------------------------------------------------


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"
