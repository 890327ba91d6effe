"""Genant grade tables: the VerSe wide sheet (``<LEVEL>_fx-g`` columns, CSV or XLSX) and a long table."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import pandas as pd

from spinexai.errors import InputError
from spinexai.labels import LEVEL_LABELS, VERSE_RANGE, is_verse_label

log = logging.getLogger(__name__)

GRADE_COLUMNS = ["subject", "series", "label", "grade", "grade_code", "morphology", "source"]
MORPHOLOGIES = ("normal", "wedge", "biconcave", "crush")
_LEVEL_COLUMN = re.compile(r"^([CTL]\d{1,2}|S1?|T13|L6)_fx-g$")
_SUBJECT_KEYS = ("subject_ID", "subject_id", "subject")
_LONG_KEYS = ("subject", "label", "grade")


def normalise_subject(value: object) -> str:
    """``'sub-verse004'``, ``'verse004'`` and ``4`` style IDs -> the BIDS subject label without ``sub-``."""
    text = str(value).strip()
    return text[4:] if text.startswith("sub-") else text


def _is_wide(columns: pd.Index) -> bool:
    return any(_LEVEL_COLUMN.match(str(c)) for c in columns)


def _has_grade_columns(columns: pd.Index) -> bool:
    """A wide sheet (a subject column and ``<LEVEL>_fx-g`` columns) or a long table (subject, label, grade)."""
    names = [str(c) for c in columns]
    return (_is_wide(columns) and any(k in names for k in _SUBJECT_KEYS)) or all(k in names for k in _LONG_KEYS)


def _pick_sheet(book: dict[str, pd.DataFrame], path: Path, sheet: str | None) -> pd.DataFrame:
    """The configured sheet, else the only sheet with grade columns; otherwise an error naming the sheets."""
    names = list(book)
    if sheet:
        if sheet not in book:
            raise InputError(path, "dataset.grade_sheet", f"no sheet named {sheet!r}; the sheets are {names}")
        return book[sheet]
    usable = [n for n in names if _has_grade_columns(book[n].columns)]
    if len(usable) == 1:
        if len(names) > 1:
            log.info("%s: reading sheet %r, the only one with grade columns (sheets: %s)", path, usable[0], names)
        return book[usable[0]]
    if len(names) == 1:
        return book[names[0]]  # the column checks name what is missing
    if usable:
        raise InputError(path, "dataset.grade_sheet", f"sheets {usable} all have grade columns; set dataset.grade_sheet "
                                                       "to the one to read")
    found = "; ".join(f"{n!r} (columns {[str(c) for c in book[n].columns][:6]})" for n in names)
    raise InputError(path, "dataset.grade_sheet", f"no sheet has grade columns (subject_ID and <LEVEL>_fx-g, or "
                                                   f"subject, label, grade); the sheets are {found}; set dataset.grade_sheet "
                                                   "to the one to read")


def _read_sheet(path: Path, sheet: str | None = None) -> pd.DataFrame:
    """A CSV/TSV table, or one sheet of a workbook (``sheet``, else the one with grade columns)."""
    if not path.exists():
        raise InputError(path, None, "grade table not found")
    try:
        if path.suffix.lower() in (".xlsx", ".xls"):
            book = pd.read_excel(path, dtype=str, sheet_name=None)
        else:
            sep = "\t" if path.suffix.lower() == ".tsv" else ","
            return pd.read_csv(path, dtype=str, sep=sep, keep_default_na=False)
    except Exception as exc:
        raise InputError(path, None, f"cannot read the table: {exc}") from None
    if not book:
        raise InputError(path, None, "the workbook has no sheets")
    return _pick_sheet(book, path, sheet)


def _parse_grade(code: str) -> float:
    """'0'..'3' (also '2.0') -> grade; blank -> NaN (level not graded); anything else -> -1 (unknown)."""
    code = "" if code is None else str(code).strip()
    if code in ("", "nan", "NaN"):
        return float("nan")
    try:
        value = float(code)
    except ValueError:
        return -1.0
    return value if value in (0.0, 1.0, 2.0, 3.0) else -1.0


def read_wide_grades(path: str | os.PathLike, sheet_name: str | None = None) -> pd.DataFrame:
    """Read a VerSe-style sheet with one row per scan and one ``<LEVEL>_fx-g`` column per level.

    Blank cells (level not in the scan) are dropped; codes other than 0-3 are kept with grade -1
    so ingest can record them as unknown. ``sheet_name`` picks a workbook's sheet.
    """
    path = Path(path)
    return _wide(_read_sheet(path, sheet_name), path)


def _wide(sheet: pd.DataFrame, path: Path) -> pd.DataFrame:
    subject_key = next((k for k in _SUBJECT_KEYS if k in sheet.columns), None)
    if subject_key is None:
        raise InputError(path, "subject_ID", f"no subject column; columns are {list(sheet.columns)}")
    level_cols = [c for c in sheet.columns if _LEVEL_COLUMN.match(str(c))]
    if not level_cols:
        raise InputError(path, "<LEVEL>_fx-g", "no grade columns such as 'L1_fx-g'")
    for col in level_cols:
        if col.removesuffix("_fx-g") not in LEVEL_LABELS:
            raise InputError(path, col, f"level {col.removesuffix('_fx-g')!r} is outside the VerSe numbering ({VERSE_RANGE})")
    rows = []
    for idx, row in sheet.iterrows():
        subject = normalise_subject(row[subject_key])
        if not subject or subject == "nan":
            raise InputError(path, f"row {idx + 2}: {subject_key}", "empty subject ID")
        series = str(row["verse_ID"]).strip() if "verse_ID" in sheet.columns else ""
        series = normalise_subject(series) if series and series != subject else ""
        for col in level_cols:
            level = col.removesuffix("_fx-g")
            code = row[col]
            grade = _parse_grade(code)
            if pd.isna(grade):
                continue
            rows.append((subject, series, LEVEL_LABELS[level], grade, str(code).strip(), "", f"{path.name}:{col}"))
    return _finish(pd.DataFrame(rows, columns=GRADE_COLUMNS), path)


def read_long_grades(path: str | os.PathLike, sheet_name: str | None = None) -> pd.DataFrame:
    """Read a long table with columns ``subject``, ``label`` (number or level name), ``grade``
    and optionally ``morphology`` and ``series``."""
    path = Path(path)
    return _long(_read_sheet(path, sheet_name), path)


def _long(sheet: pd.DataFrame, path: Path) -> pd.DataFrame:
    for key in _LONG_KEYS:
        if key not in sheet.columns:
            raise InputError(path, key, f"missing column; columns are {list(sheet.columns)}")
    rows = []
    for idx, row in sheet.iterrows():
        raw_label = str(row["label"]).strip()
        if raw_label in LEVEL_LABELS:
            label = LEVEL_LABELS[raw_label]
        else:
            try:
                label = int(float(raw_label))
            except ValueError:
                raise InputError(path, f"row {idx + 2}: label", f"expected a VerSe label or level name, got {raw_label!r}") from None
            if not is_verse_label(label):
                raise InputError(path, f"row {idx + 2}: label", f"label {label} is outside the VerSe numbering ({VERSE_RANGE})")
        grade = _parse_grade(row["grade"])
        if pd.isna(grade):
            continue
        morphology = str(row.get("morphology", "") or "").strip().lower()
        if morphology in ("nan",):
            morphology = ""
        if morphology and morphology not in MORPHOLOGIES:
            raise InputError(path, f"row {idx + 2}: morphology", f"got {morphology!r}, expected one of {list(MORPHOLOGIES)}")
        series = str(row.get("series", "") or "").strip()
        rows.append((normalise_subject(row["subject"]), series, label, grade, str(row["grade"]).strip(), morphology,
                     f"{path.name}:row {idx + 2}"))
    return _finish(pd.DataFrame(rows, columns=GRADE_COLUMNS), path)


def _finish(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    dup = table.duplicated(["subject", "series", "label"], keep=False)
    if dup.any():
        first = table[dup].iloc[0]
        raise InputError(path, "subject", f"subject {first.subject!r} has more than one grade for label {first.label}")
    return table.astype({"label": "int64", "grade": "float64"})


def read_grades(paths: list[str | os.PathLike], sheet_name: str | None = None) -> pd.DataFrame:
    """Read and merge grade tables; a wide sheet and a long table must agree where both grade a level.

    ``sheet_name`` (config ``dataset.grade_sheet``) picks the sheet of every workbook; without it a
    workbook's only sheet with grade columns is read.
    """
    tables = []
    for path in paths:
        path = Path(path)
        sheet = _read_sheet(path, sheet_name)
        tables.append(_wide(sheet, path) if _is_wide(sheet.columns) else _long(sheet, path))
    if not tables:
        return pd.DataFrame(columns=GRADE_COLUMNS).astype({"label": "int64", "grade": "float64"})
    merged = tables[0]
    for other in tables[1:]:
        both = merged.merge(other, on=["subject", "series", "label"], how="outer", suffixes=("", "_o"), indicator=True)
        clash = (both["_merge"] == "both") & (both["grade"] != both["grade_o"])
        if clash.any():
            bad = both[clash].iloc[0]
            raise InputError(
                bad["source_o"], "grade",
                f"subject {bad.subject!r} label {bad.label}: grade {bad.grade_o:g} disagrees with {bad.source} ({bad.grade:g})",
            )
        for col in ("grade", "grade_code", "source"):
            both[col] = both[col].where(both["_merge"] != "right_only", both[f"{col}_o"])
        both["morphology"] = both["morphology"].where(both["morphology"].fillna("") != "", both["morphology_o"]).fillna("")
        merged = both[GRADE_COLUMNS]
    return merged.reset_index(drop=True).astype({"label": "int64", "grade": "float64"})
