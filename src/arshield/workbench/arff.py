"""A small strict reader for ARFF files (Weka's attribute-relation format), dense data only.

Header: ``@relation``, then one ``@attribute NAME TYPE`` per column (``numeric``, ``real``,
``integer``, a nominal ``{a,b,...}``, ``string`` or ``date``), then ``@data``. Lines starting
with ``%`` are comments. Data rows are comma-separated, values may be quoted with ``'`` or ``"``,
and ``?`` is a missing value. Sparse rows (``{...}``), relational attributes and rows whose
field count differs from the header are refused with the line they are on.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from arshield.kit.tabular import ROW, TableError, decode_text

MISSING: Final = "?"
_ATTRIBUTE = re.compile(
    r"""^@attribute\s+(?:'(?P<sq>[^']*)'|"(?P<dq>[^"]*)"|(?P<bare>[^\s{]+))\s*(?P<type>.+)$""",
    re.IGNORECASE,
)
_NUMERIC_TYPES: Final = frozenset({"numeric", "real", "integer"})


@dataclass(frozen=True, slots=True)
class Attribute:
    """One declared column: its name, kind (numeric, nominal, string, date) and nominal values."""

    name: str
    kind: str
    values: tuple[str, ...] = ()


def _attribute(line: str, number: int) -> Attribute:
    match = _ATTRIBUTE.match(line)
    if match is None:
        raise TableError(f"line {number}: cannot read the attribute declaration {line!r}")
    name = match.group("sq") or match.group("dq") or match.group("bare") or ""
    if not name.strip():
        raise TableError(f"line {number}: an attribute has no name")
    declared = match.group("type").strip()
    lowered = declared.lower()
    if declared.startswith("{"):
        if not declared.endswith("}"):
            raise TableError(f"line {number}: nominal values of {name!r} are not closed by '}}'")
        inner = declared[1:-1]
        values = next(csv.reader([inner], quotechar="'", skipinitialspace=True), [])
        return Attribute(name, "nominal", tuple(v.strip() for v in values))
    if lowered in _NUMERIC_TYPES:
        return Attribute(name, "numeric")
    if lowered == "string":
        return Attribute(name, "string")
    if lowered.startswith("date"):
        return Attribute(name, "date")
    raise TableError(f"line {number}: attribute {name!r} has an unsupported type {declared!r}")


def _header(lines: list[str]) -> tuple[list[Attribute], int]:
    """The attributes and the index of the first line after ``@data``."""
    attributes: list[Attribute] = []
    for index, raw in enumerate(lines):
        line = raw.strip()
        if not line or line.startswith("%"):
            continue
        keyword = line.split(None, 1)[0].lower()
        if keyword == "@relation":
            continue
        if keyword == "@attribute":
            attributes.append(_attribute(line, index + 1))
            continue
        if keyword == "@data":
            if not attributes:
                raise TableError("the file declares no @attribute before @data")
            return attributes, index + 1
        if keyword == "@end":
            raise TableError(f"line {index + 1}: relational attributes are not supported")
        raise TableError(f"line {index + 1}: expected @relation, @attribute or @data, got {line!r}")
    raise TableError("the file has no @data section: it is not an ARFF file")


def _rows(lines: list[str], start: int, width: int) -> tuple[list[list[str]], list[int]]:
    rows: list[list[str]] = []
    numbers: list[int] = []
    for index in range(start, len(lines)):
        line = lines[index].strip()
        if not line or line.startswith("%"):
            continue
        if line.startswith("{"):
            raise TableError(f"line {index + 1}: sparse ARFF rows are not supported")
        quote = "'" if "'" in line else '"'
        fields = next(csv.reader([line], quotechar=quote, skipinitialspace=True))
        if len(fields) != width:
            raise TableError(f"line {index + 1} has {len(fields)} values; the header has {width}")
        rows.append([f.strip() for f in fields])
        numbers.append(index + 1)
    return rows, numbers


def parse_arff(text: str) -> tuple[pl.DataFrame, list[Attribute]]:
    """ARFF text as a frame of text cells (missing ``?`` as null) plus ``ROW``, the file line."""
    lines = text.splitlines()
    attributes, start = _header(lines)
    names = [a.name for a in attributes]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise TableError(f"duplicate attribute name(s): {', '.join(duplicated)}")
    rows, numbers = _rows(lines, start, len(attributes))
    if not rows:
        raise TableError("the @data section holds no rows")
    columns = list(zip(*rows, strict=True))
    frame = pl.DataFrame(
        {
            ROW: pl.Series(ROW, numbers, dtype=pl.Int64),
            **{
                name: pl.Series(name, values, dtype=pl.Utf8)
                for name, values in zip(names, columns, strict=True)
            },
        }
    )
    frame = frame.with_columns(
        pl.when(pl.col(n).is_in([MISSING, ""])).then(None).otherwise(pl.col(n)).alias(n)
        for n in names
    )
    _check_nominals(frame, attributes)
    return frame, attributes


def _check_nominals(frame: pl.DataFrame, attributes: list[Attribute]) -> None:
    for attribute in attributes:
        if attribute.kind != "nominal":
            continue
        bad = frame.filter(
            pl.col(attribute.name).is_not_null()
            & ~pl.col(attribute.name).is_in(list(attribute.values))
        )
        if bad.height:
            raise TableError(
                f"line {bad[ROW][0]}: {bad[attribute.name][0]!r} is not a declared value of "
                f"{attribute.name!r} ({', '.join(attribute.values)})"
            )


def read_arff(path: Path, *, max_bytes: int) -> tuple[pl.DataFrame, list[Attribute]]:
    """Read the ARFF file at ``path`` (UTF-8 or GB18030) with :func:`parse_arff`."""
    size = path.stat().st_size
    if size > max_bytes:
        raise TableError(f"{path.name} is {size} bytes; the limit is {max_bytes} bytes")
    if size == 0:
        raise TableError(f"{path.name} is empty")
    text, _encoding = decode_text(path.read_bytes())
    return parse_arff(text)


def write_arff(frame: pl.DataFrame, *, relation: str = "data") -> str:
    """Numeric columns of ``frame`` as ARFF text, nulls as ``?`` (for tests and exports)."""
    out = io.StringIO()
    out.write(f"@relation {relation}\n\n")
    for name in frame.columns:
        out.write(f"@attribute {name} numeric\n")
    out.write("\n@data\n")
    for row in frame.iter_rows():
        out.write(",".join(MISSING if v is None else repr(v) for v in row) + "\n")
    return out.getvalue()
