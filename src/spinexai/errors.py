"""Errors a user can trigger with bad input, each naming the file and the field."""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches
from os import PathLike


class InputError(ValueError):
    """Bad input data or configuration; the message names the file and the field."""

    def __init__(self, path: str | PathLike | None, field: str | None, problem: str) -> None:
        self.path = None if path is None else str(path)
        self.field = field
        self.problem = problem
        where = self.path or "<input>"
        if field:
            where = f"{where}: field '{field}'"
        super().__init__(f"{where}: {problem}")


def look_up_option(value: str, allowed: Iterable[str], *, path: str | None = None, field: str | None = None) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise an error that suggests the closest match."""
    allowed = list(allowed)
    if value in allowed:
        return value
    close = get_close_matches(str(value), allowed, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise InputError(path, field, f"got {value!r}, expected one of {allowed}.{hint}")
