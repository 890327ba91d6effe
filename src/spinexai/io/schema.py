"""A table's schema: every column has a type, a unit and a meaning (the schemas themselves are in
``spinexai.io.schemas``, one module per stage; reading and writing in ``spinexai.io.tables``)."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # pyarrow type name: string, int64, float64, bool
    description: str
    unit: str = ""


@dataclass(frozen=True)
class TableSchema:
    name: str
    path: str
    description: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def arrow(self) -> pa.Schema:
        types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_()}
        return pa.schema([pa.field(c.name, types[c.dtype]) for c in self.columns])


def col(name: str, dtype: str, description: str, unit: str = "") -> Column:
    return Column(name, dtype, description, unit)
