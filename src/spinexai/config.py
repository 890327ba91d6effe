"""Validation of the pipeline config against config/schema.yaml, filling in defaults."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Self

import yaml
from jsonschema import Draft202012Validator, validators


def _with_defaults(cls):
    validate_properties = cls.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for key, sub in properties.items():
                if "default" in sub and key not in instance:
                    instance[key] = yaml.safe_load(yaml.safe_dump(sub["default"]))  # a fresh copy
        yield from validate_properties(validator, properties, instance, schema)

    return validators.extend(cls, {"properties": set_defaults})


_Validator = _with_defaults(Draft202012Validator)


class ConfigSection:
    """Mixin for the frozen dataclasses built from one config section. The schema has already checked
    the section, so keys a dataclass does not use (read by other rules) are skipped."""

    @classmethod
    def from_dict(cls, cfg: dict | None) -> Self:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (cfg or {}).items() if k in known})


class ConfigError(ValueError):
    """A config value that the schema rejects; the message names the key."""


def _coerce(value, schema: dict):
    """``value`` with strings turned into the numbers and booleans the schema asks for. Snakemake's
    ``--config key={...}`` reads nested values with YAML's base loader, so they arrive as strings."""
    kinds = schema.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else kinds
    if isinstance(value, dict):
        props, extra = schema.get("properties", {}), schema.get("additionalProperties")
        return {k: _coerce(v, props.get(k, extra if isinstance(extra, dict) else {})) for k, v in value.items()}
    if isinstance(value, list):
        items = schema.get("items", {})
        return [_coerce(v, items if isinstance(items, dict) else {}) for v in value]
    if isinstance(value, str) and "string" not in kinds:
        for kind, parse in (("integer", int), ("number", float)):
            if kind in kinds:
                try:
                    return parse(value)
                except ValueError:
                    pass
        if "boolean" in kinds and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if "null" in kinds and value.lower() in ("null", "none", "~", ""):
            return None
    return value


def validate_config(config: dict, schema_path: str | Path) -> dict:
    """Fill defaults into ``config`` in place and check it; raise :class:`ConfigError` naming the bad key.
    Strings where the schema wants a number or a boolean (``--config`` on the command line) are converted."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    config.update(_coerce(dict(config), schema))
    errors = sorted(_Validator(schema).iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for err in errors:
            key = ".".join(str(p) for p in err.absolute_path) or "<top level>"
            if err.validator == "additionalProperties":
                lines.append(f"config key '{key}': {err.message} (see config/schema.yaml for the allowed keys)")
            else:
                lines.append(f"config key '{key}': {err.message}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines))
    return config


MIN_GRID_2D = 7       # the paper's 224^2 through VGG-11's five pools
MAX_CELL_3D_MM = 8.0  # the paper's 64^3 at 1 mm through three pools


def explanation_grids(config: dict) -> list[str]:
    """Warnings for explanation grids too coarse to localise (issue: a 2 x 2 latent grid puts every peak
    on the corner shared by its cells); raises :class:`ConfigError` for a grid that cannot exist."""
    warnings = []
    proto = config.get("prototypes", {})
    size, pools = proto.get("input_size", 224), proto.get("pools", 5)
    grid = size // 2 ** pools
    if grid < 1 or size % 2 ** pools:
        raise ConfigError(f"config key 'prototypes.input_size': {size} is not divisible by 2**pools = {2 ** pools}")
    blocks, levels = proto.get("blocks", 5), config.get("counterfactual", {}).get("levels", 4)
    if blocks < pools:
        raise ConfigError(f"config key 'prototypes.blocks': {blocks} is fewer than prototypes.pools ({pools}); "
                          "a block ends where a pool sits")
    if levels > blocks - 1:
        raise ConfigError(f"config key 'counterfactual.levels': {levels} scales, but the explained classifier's "
                          f"{blocks} blocks (prototypes.blocks) give at most {blocks - 1}")
    if grid < MIN_GRID_2D:
        warnings.append(f"prototypes: latent grid {grid} x {grid} (input_size {size}, pools {pools}) is coarser than the "
                        f"paper's {MIN_GRID_2D} x {MIN_GRID_2D}: prototype heatmaps and CAMs cannot localise")
    cls = config.get("classifier3d", {})
    size, pools, crop = cls.get("input_size", 64), cls.get("pools", 3), cls.get("crop", 64)
    if size % 2 ** pools:
        raise ConfigError(f"config key 'classifier3d.input_size': {size} is not divisible by 2**pools = {2 ** pools}")
    cell = crop / size * 2 ** pools
    if cell > MAX_CELL_3D_MM:
        warnings.append(f"classifier3d: dissected units sit on {cell:g} mm cells (crop {crop}, input_size {size}, pools "
                        f"{pools}); coarser than the paper's {MAX_CELL_3D_MM:g} mm, concepts cannot be told apart")
    return warnings
