"""Rendering: the Jinja2 environment of the report's templates and how a table cell is shown."""

from __future__ import annotations

import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup


def cell(value) -> str | Markup:
    if hasattr(value, "__html__"):
        return Markup(value.__html__())
    if isinstance(value, float | np.floating):
        return "" if np.isnan(value) else f"{value:.3g}"
    return str(value)


def environment() -> Environment:
    env = Environment(loader=PackageLoader("spinexai.report", "templates"), autoescape=select_autoescape(["j2"]))
    env.filters["cell"] = cell
    return env
