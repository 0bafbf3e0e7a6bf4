"""Reading tabular import files as text, with each row's source row number.

Every cell comes back as text (``str`` or ``None``), never type-inferred, so callers validate
values exactly as written. Each row keeps its source row number (CSV: the record number counting
the header as 1, which is the line number when no cell spans lines; XLSX: the sheet row; JSON
Lines: the line number; Parquet: the 1-based row index) so users can find it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from arshield.kit.errors import ValidationFailed
from arshield.kit.tabular_report import (
    ROW,
    ImportReport,
    RowError,
    missing_columns,
    neutralise,
    require_columns,
    write_rejects,
)

__all__ = [
    "FORMATS",
    "ROW",
    "ImportReport",
    "RawTable",
    "RowError",
    "TableError",
    "decode_text",
    "missing_columns",
    "neutralise",
    "read_json_rows",
    "read_table",
    "require_columns",
    "sniff_delimiter",
    "write_rejects",
]


FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl"}
FORMATS |= {".ndjson": "jsonl", ".parquet": "parquet"}
DELIMITERS = (",", ";", "\t")
_UTF8_BOM = b"\xef\xbb\xbf"
_CHUNK_ROWS = 100_000
_MAX_LISTED = 20


class TableError(ValidationFailed):
    """The file cannot be read as a table (size, format, encoding, header or shape)."""

    error_type = "invalid_file"


@dataclass(frozen=True)
class RawTable:
    """A file read as text: ``frame`` has one Utf8 column per header plus ``ROW`` (Int64)."""

    frame: pl.DataFrame
    columns: list[str]
    file_format: str
    encoding: str | None = None
    delimiter: str | None = None
    cell_errors: list[RowError] = field(default_factory=list)

    @property
    def height(self) -> int:
        return self.frame.height

    @property
    def header_row(self) -> int:
        """The row number errors about the header carry: 1 in CSV and XLSX, 0 otherwise."""
        return 1 if self.file_format in ("csv", "xlsx") else 0


def read_table(path: Path, *, max_bytes: int, fold_case: bool = True) -> RawTable:
    """Read CSV, XLSX, JSON Lines or Parquet at ``path`` as text cells with source row numbers.

    Header names are stripped (and lower-cased when ``fold_case``). Rejects files over
    ``max_bytes``, unknown extensions, empty files, duplicate or blank header names, undecodable
    bytes and ragged CSV rows, raising ``TableError`` with a message naming the problem.
    """
    file_format = FORMATS.get(path.suffix.lower())
    if file_format is None:
        known = ", ".join(sorted(FORMATS))
        raise TableError(f"{path.name}: unknown file type {path.suffix!r}; expected one of {known}")
    size = path.stat().st_size
    if size > max_bytes:
        raise TableError(f"{path.name} is {size} bytes; the limit is {max_bytes} bytes")
    if size == 0:
        raise TableError(f"{path.name} is empty")
    if file_format == "csv":
        table = _read_csv(path.read_bytes(), fold_case=fold_case)
    elif file_format == "xlsx":
        table = _read_xlsx(path, fold_case=fold_case)
    elif file_format == "jsonl":
        table = _read_jsonl(path.read_bytes(), fold_case=fold_case)
    else:
        table = _read_parquet(path, fold_case=fold_case)
    return table


# --- encoding and CSV -------------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode strict UTF-8 (BOM stripped), else GB18030, else reject; returns (text, encoding)."""
    if data.startswith(_UTF8_BOM):
        try:
            return data[len(_UTF8_BOM) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise TableError(f"file starts with a UTF-8 BOM but is not UTF-8: {exc}") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise TableError(
            f"the file is neither UTF-8 nor GB18030/GBK text (undecodable bytes at offset "
            f"{exc.start}); save it as UTF-8"
        ) from None


def sniff_delimiter(header_line: str) -> str:
    """The delimiter among ``,`` ``;`` and tab seen most outside quotes (``,`` on ties)."""
    outside = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: outside.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _check_header(names: Sequence[str | None], *, fold_case: bool) -> list[str]:
    cleaned = [(n or "").strip() for n in names]
    if fold_case:
        cleaned = [n.lower() for n in cleaned]
    blank = [str(i + 1) for i, n in enumerate(cleaned) if not n]
    if blank:
        raise TableError(f"header column(s) {', '.join(blank)} have no name")
    dupes = sorted(name for name, count in Counter(cleaned).items() if count > 1)
    if dupes:
        raise TableError(f"duplicate header name(s): {', '.join(dupes)}")
    return cleaned


def _drop_trailing_blank(names: list[str | None]) -> list[str | None]:
    while names and not (names[-1] or "").strip():
        names.pop()
    return names


def _read_csv(data: bytes, *, fold_case: bool) -> RawTable:
    text, encoding = decode_text(data)
    if not text.strip():
        raise TableError("the file has no header line")
    first_line = text.split("\n", 1)[0]
    delimiter = sniff_delimiter(first_line)
    if '"' in text:
        frame, header = _csv_quoted(text, delimiter)
    else:
        frame, header = _csv_plain(text, delimiter)
    columns = _check_header(header, fold_case=fold_case)
    frame = frame.rename(dict(zip(frame.columns[1:], columns, strict=True)))
    return RawTable(_finish(frame), columns, "csv", encoding=encoding, delimiter=delimiter)


def _ragged_error(bad: Sequence[tuple[int, int]], width: int) -> TableError:
    shown = "; ".join(f"row {r} has {k} fields" for r, k in bad[:_MAX_LISTED])
    more = f" (and {len(bad) - _MAX_LISTED} more)" if len(bad) > _MAX_LISTED else ""
    return TableError(f"ragged rows: {shown}{more}; the header has {width}")


def _csv_plain(text: str, delimiter: str) -> tuple[pl.DataFrame, list[str | None]]:
    """No quote characters: one line is one record, so field counts are checked per line."""
    lines = pl.Series("line", text.split("\n"))
    if lines[-1] == "":
        lines = lines.head(lines.len() - 1)
    counts = (
        lines.to_frame()
        .with_row_index(ROW, offset=1)
        .with_columns(
            blank=pl.col("line").str.strip_chars_end("\r") == "",
            fields=pl.col("line").str.count_matches(delimiter, literal=True) + 1,
        )
    )
    width = int(counts["fields"][0])
    bad = counts.filter(~pl.col("blank") & (pl.col("fields") != width))
    if bad.height:
        raise _ragged_error(
            list(zip(bad[ROW].to_list(), bad["fields"].to_list(), strict=True)), width
        )
    frame = pl.read_csv(
        io.BytesIO(text.encode("utf-8")),
        has_header=False,
        separator=delimiter,
        quote_char=None,
        infer_schema=False,
        empty_string_is_null=False,
        truncate_ragged_lines=False,
    )
    if frame.height != counts.height:
        raise TableError("the file's lines could not be read consistently; check line endings")
    header = frame.row(0)
    frame = frame.insert_column(0, counts[ROW].cast(pl.Int64)).filter(~counts["blank"]).slice(1)
    return frame, list(header)


def _csv_quoted(text: str, delimiter: str) -> tuple[pl.DataFrame, list[str | None]]:
    """Quoted cells may hold delimiters and line breaks: parse records with the csv module."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header: list[str | None] = list(next(reader))
    except csv.Error as exc:
        raise TableError(f"row 1: {exc}") from None
    width = len(header)
    names = [f"c{i}" for i in range(width)]
    chunks: list[pl.DataFrame] = []
    bad: list[tuple[int, int]] = []
    rows: list[list[str]] = []
    numbers: list[int] = []
    number = 1
    try:
        for record in reader:
            number += 1
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            if len(record) != width:
                bad.append((number, len(record)))
                continue
            rows.append(record)
            numbers.append(number)
            if len(rows) >= _CHUNK_ROWS:
                chunks.append(_chunk(rows, numbers, names))
                rows, numbers = [], []
    except csv.Error as exc:
        raise TableError(f"row {number + 1}: {exc}") from None
    if bad:
        raise _ragged_error(bad, width)
    chunks.append(_chunk(rows, numbers, names))
    return pl.concat(chunks), header


def _chunk(rows: list[list[str]], numbers: list[int], names: list[str]) -> pl.DataFrame:
    data: dict[str, Any] = {ROW: pl.Series(ROW, numbers, dtype=pl.Int64)}
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    for name, values in zip(names, columns, strict=True):
        data[name] = pl.Series(name, values, dtype=pl.Utf8)
    return pl.DataFrame(data)


def _finish(frame: pl.DataFrame) -> pl.DataFrame:
    """Empty cells become None; the row-number column is Int64."""
    text_cols = [c for c in frame.columns if c != ROW]
    return frame.with_columns(
        pl.col(ROW).cast(pl.Int64),
        *(pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in text_cols),
    ).select(ROW, *text_cols)


# --- XLSX ---------------------------------------------------------------------------------------


def cell_text(value: Any) -> str | None:
    """A spreadsheet or JSON value as text: integral floats without ``.0``, dates as ISO."""
    import datetime as dt

    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _read_xlsx(path: Path, *, fold_case: bool) -> RawTable:
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    try:
        book = load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError(f"{path.name} is not a readable .xlsx workbook: {exc}") from None
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()
        rows = sheet.iter_rows(min_row=1)
        header_cells = next(rows, None)
        if header_cells is None:
            raise TableError(f"{path.name}: the first sheet is empty")
        header = _drop_trailing_blank([cell_text(c.value) for c in header_cells])
        columns = _check_header(header, fold_case=fold_case)
        width = len(columns)
        names = [f"c{i}" for i in range(width)]
        chunks: list[pl.DataFrame] = []
        cell_errors: list[RowError] = []
        batch: list[list[str]] = []
        numbers: list[int] = []
        for cells in rows:
            number = next((c.row for c in cells if getattr(c, "row", None)), None)
            if number is None:
                continue  # an empty row
            values: list[str | None] = [None] * width
            for index, cell in enumerate(cells):
                value = cell.value
                if value is None or (isinstance(value, str) and not value.strip()):
                    continue
                if index >= width:
                    letter = get_column_letter(index + 1)
                    raise TableError(
                        f"cell {letter}{number} has a value but column {letter} has no header"
                    )
                if cell.data_type == "f":
                    cell_errors.append(
                        RowError(
                            number,
                            columns[index],
                            f"cell {get_column_letter(index + 1)}{number} holds the formula "
                            f"{str(value)[:40]!r}; import values, not formulas",
                        )
                    )
                values[index] = cell_text(value)
            batch.append(values)  # type: ignore[arg-type]
            numbers.append(number)
            if len(batch) >= _CHUNK_ROWS:
                chunks.append(_chunk(batch, numbers, names))
                batch, numbers = [], []
        chunks.append(_chunk(batch, numbers, names))
    finally:
        book.close()
    frame = pl.concat(chunks).rename(dict(zip(names, columns, strict=True)))
    return RawTable(_finish(frame), columns, "xlsx", cell_errors=cell_errors)


# --- JSON Lines and Parquet ----------------------------------------------------------------------


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate keys in one object")
    return dict(pairs)


def _read_jsonl(data: bytes, *, fold_case: bool) -> RawTable:
    text, encoding = decode_text(data)
    records: list[tuple[int, dict[str, Any]]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            # Numbers stay as written ("12.50", "1e5"), so callers validate the text.
            obj = json.loads(
                line,
                parse_float=str,
                parse_int=str,
                parse_constant=str,
                object_pairs_hook=_json_object,
            )
        except ValueError as exc:
            raise TableError(f"line {number} is not valid JSON: {exc}") from None
        if not isinstance(obj, dict):
            raise TableError(f"line {number} is not a JSON object")
        records.append((number, obj))
    if not records:
        raise TableError("the file holds no JSON objects")
    return _records_table(records, fold_case=fold_case, file_format="jsonl", encoding=encoding)


def read_json_rows(data: bytes, *, fold_case: bool = True) -> RawTable:
    """A JSON body ``{"rows": [{...}, ...]}`` as a table; row numbers count from 1.

    Numbers stay as written, so amounts are validated as text exactly like file imports.
    """
    try:
        body = json.loads(
            data.decode("utf-8"),
            parse_float=str,
            parse_int=str,
            parse_constant=str,
            object_pairs_hook=_json_object,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise TableError(f"the body is not valid JSON: {exc}") from None
    rows = body.get("rows") if isinstance(body, dict) else None
    if not isinstance(rows, list) or set(body) != {"rows"}:
        raise TableError('the body must be {"rows": [ {...}, ... ]} and nothing else')
    if not rows:
        raise TableError("rows is empty")
    records: list[tuple[int, dict[str, Any]]] = []
    for number, obj in enumerate(rows, start=1):
        if not isinstance(obj, dict):
            raise TableError(f"row {number} is not a JSON object")
        records.append((number, obj))
    return _records_table(records, fold_case=fold_case, file_format="json", encoding="utf-8")


def _records_table(
    records: list[tuple[int, dict[str, Any]]], *, fold_case: bool, file_format: str, encoding: str
) -> RawTable:
    raw_keys: dict[str, None] = {}
    for _, obj in records:
        raw_keys.update(dict.fromkeys(obj))
    columns = _check_header(list(raw_keys), fold_case=fold_case)
    key_of = dict(zip(columns, raw_keys, strict=True))
    cell_errors: list[RowError] = []
    names = [f"c{i}" for i in range(len(columns))]
    batch: list[list[str]] = []
    chunks: list[pl.DataFrame] = []
    numbers: list[int] = []
    for number, obj in records:
        values: list[str | None] = []
        for column in columns:
            value = obj.get(key_of[column])
            if isinstance(value, dict | list):
                cell_errors.append(
                    RowError(number, column, "nested objects or arrays are not allowed")
                )
                value = None
            values.append(cell_text(value))
        batch.append(values)  # type: ignore[arg-type]
        numbers.append(number)
        if len(batch) >= _CHUNK_ROWS:
            chunks.append(_chunk(batch, numbers, names))
            batch, numbers = [], []
    chunks.append(_chunk(batch, numbers, names))
    frame = pl.concat(chunks).rename(dict(zip(names, columns, strict=True)))
    return RawTable(
        _finish(frame), columns, file_format, encoding=encoding, cell_errors=cell_errors
    )


def _read_parquet(path: Path, *, fold_case: bool) -> RawTable:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # polars raises several error types for damaged files
        raise TableError(f"{path.name} is not a readable Parquet file: {exc}") from None
    columns = _check_header(frame.columns, fold_case=fold_case)
    casts: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype.is_nested() or dtype == pl.Binary:
            raise TableError(f"column {name!r} has type {dtype}; only flat values can be imported")
        if dtype == pl.Datetime:
            midnight = col.dt.time() == pl.time(0)
            text = pl.when(midnight).then(col.dt.strftime("%Y-%m-%d"))
            casts.append(text.otherwise(col.dt.strftime("%Y-%m-%dT%H:%M:%S%.f")).alias(name))
        elif dtype == pl.Boolean:
            casts.append(pl.when(col).then(pl.lit("true")).otherwise(pl.lit("false")).alias(name))
        else:
            casts.append(col.cast(pl.Utf8).alias(name))
    frame = frame.select(casts).rename(dict(zip(frame.columns, columns, strict=True)))
    frame = frame.with_row_index(ROW, offset=1)
    return RawTable(_finish(frame), columns, "parquet")
