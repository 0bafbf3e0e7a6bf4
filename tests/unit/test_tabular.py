"""Reading import files as text: formats, encodings, delimiters, row numbers and refusals."""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arshield.kit import tabular_columns as cols
from arshield.kit.errors import ValidationFailed
from arshield.kit.money import parse_minor
from arshield.kit.tabular import (
    ROW,
    ImportReport,
    RawTable,
    RowError,
    TableError,
    neutralise,
    read_table,
    require_columns,
    write_rejects,
)

LIMIT = 10_000_000


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def _rows(table: RawTable) -> list[tuple[object, ...]]:
    return table.frame.rows()


# --- encodings --------------------------------------------------------------------------------


def test_gbk_csv_is_read_as_gb18030_with_chinese_intact(tmp_path: Path) -> None:
    text = "公司编号,名称\nA1,北京华信科技有限公司\n"
    table = read_table(_write(tmp_path, "a.csv", text.encode("gbk")), max_bytes=LIMIT)
    assert table.encoding == "gb18030"
    assert table.columns == ["公司编号", "名称"]
    assert _rows(table) == [(2, "A1", "北京华信科技有限公司")]


def test_utf8_chinese_is_never_decoded_as_gbk(tmp_path: Path) -> None:
    text = "ref,name\nA1,上海东方贸易有限公司\n"
    data = text.encode("utf-8")
    # The same bytes also decode as GB18030, to garbage: UTF-8 must win.
    assert data.decode("gb18030") != text
    table = read_table(_write(tmp_path, "a.csv", data), max_bytes=LIMIT)
    assert table.encoding == "utf-8"
    assert _rows(table) == [(2, "A1", "上海东方贸易有限公司")]


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbfref,name\nA1,X\n"
    table = read_table(_write(tmp_path, "a.csv", data), max_bytes=LIMIT)
    assert table.encoding == "utf-8-sig"
    assert table.columns == ["ref", "name"]


def test_undecodable_bytes_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.csv", b"ref,name\nA1,\xff\xfe\xff\n")
    with pytest.raises(TableError, match="neither UTF-8 nor GB18030"):
        read_table(path, max_bytes=LIMIT)


# --- delimiters, quoting, row numbers ----------------------------------------------------------


@pytest.mark.parametrize(("delimiter", "name"), [(",", "a.csv"), (";", "a.csv"), ("\t", "a.tsv")])
def test_delimiter_is_sniffed_from_the_header(tmp_path: Path, delimiter: str, name: str) -> None:
    text = f"ref{delimiter}amount{delimiter}note\nA1{delimiter}1,5{delimiter}x\n"
    if delimiter == ",":
        text = 'ref,amount,note\nA1,"1,5",x\n'
    table = read_table(_write(tmp_path, name, text), max_bytes=LIMIT)
    assert table.delimiter == delimiter
    assert _rows(table) == [(2, "A1", "1,5", "x")]


def test_cells_stay_text_exactly_as_written(tmp_path: Path) -> None:
    text = "ref,amount,date,flag\n007,0012.50,2024-01-02,TRUE\nA2,,  ,=1+1\n"
    table = read_table(_write(tmp_path, "a.csv", text), max_bytes=LIMIT)
    assert table.frame.schema["amount"] == pl.Utf8
    assert _rows(table) == [
        (2, "007", "0012.50", "2024-01-02", "TRUE"),
        (3, "A2", None, "  ", "=1+1"),
    ]


def test_row_numbers_count_the_header_and_skip_blank_lines(tmp_path: Path) -> None:
    text = "ref,name\r\nA1,X\r\n\r\nA2,Y\r\n\r\n"
    table = read_table(_write(tmp_path, "a.csv", text), max_bytes=LIMIT)
    assert table.frame[ROW].to_list() == [2, 4]
    quoted = 'ref,name\nA1,"two\nlines"\n\nA2,"y"\n'
    table = read_table(_write(tmp_path, "b.csv", quoted), max_bytes=LIMIT)
    assert _rows(table) == [(2, "A1", "two\nlines"), (4, "A2", "y")]


@pytest.mark.parametrize("quoted", [False, True])
def test_ragged_rows_are_refused_naming_each(tmp_path: Path, quoted: bool) -> None:
    q = '"' if quoted else ""
    text = f"a,b,c\n{q}1{q},2,3\n1,2\n1,2,3,4\n"
    with pytest.raises(TableError) as caught:
        read_table(_write(tmp_path, "a.csv", text), max_bytes=LIMIT)
    assert (
        caught.value.detail
        == "ragged rows: row 3 has 2 fields; row 4 has 4 fields; the header has 3"
    )


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.csv", b"", "is empty"),
        ("a.csv", b"\n\n", "no header line"),
        ("a.json", b"{}", "unknown file type '.json'"),
        ("a.csv", b"ref,Ref\nA1,B\n", "duplicate header name(s): ref"),
        ("a.csv", b"ref,,name\nA1,x,B\n", "header column(s) 2 have no name"),
        ("a.jsonl", b'{"a": 1}\nnot json\n', "line 2 is not valid JSON"),
        ("a.jsonl", b'{"a": 1, "a": 2}\n', "line 1 is not valid JSON"),
        ("a.xlsx", b"not a zip", "not a readable .xlsx workbook"),
    ],
)
def test_unreadable_files_are_refused(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    with pytest.raises(TableError) as caught:
        read_table(_write(tmp_path, name, data), max_bytes=LIMIT)
    assert message in caught.value.detail
    assert caught.value.status_code == 422


def test_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.csv", "ref\n" + "A\n" * 100)
    assert read_table(path, max_bytes=204).height == 100
    with pytest.raises(TableError, match="204 bytes; the limit is 203"):
        read_table(path, max_bytes=203)


# --- XLSX, JSON Lines, Parquet ---------------------------------------------------------------


def test_xlsx_cells_become_text_and_formulas_are_cell_errors(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Ref", "Amount", "Date", "Count"])
    sheet.append(["A1", 1234.5, dt.datetime(2024, 1, 31), 12.0])
    sheet.append([])
    sheet.append(["A2", "=1+1", dt.date(2023, 12, 31), 3])
    path = tmp_path / "a.xlsx"
    book.save(path)
    table = read_table(path, max_bytes=LIMIT)
    assert table.columns == ["ref", "amount", "date", "count"]
    assert _rows(table) == [
        (2, "A1", "1234.5", "2024-01-31", "12"),
        (4, "A2", "=1+1", "2023-12-31", "3"),
    ]
    assert table.cell_errors == [
        RowError(4, "amount", "cell B4 holds the formula '=1+1'; import values, not formulas")
    ]


def test_xlsx_value_outside_the_header_is_refused(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["ref"])
    sheet.append(["A1", None, "stray"])
    path = tmp_path / "a.xlsx"
    book.save(path)
    with pytest.raises(TableError, match="cell C2 has a value but column C has no header"):
        read_table(path, max_bytes=LIMIT)


def test_jsonl_numbers_keep_their_written_form(tmp_path: Path) -> None:
    lines = [
        '{"ref": "A1", "amount": 12.50, "n": 7, "x": NaN, "ok": true}',
        "",
        '{"ref": "A2", "amount": 1e5, "tags": [1]}',
    ]
    table = read_table(_write(tmp_path, "a.ndjson", "\n".join(lines) + "\n"), max_bytes=LIMIT)
    assert table.columns == ["ref", "amount", "n", "x", "ok", "tags"]
    assert _rows(table) == [
        (1, "A1", "12.50", "7", "NaN", "true", None),
        (3, "A2", "1e5", None, None, None, None),
    ]
    assert table.cell_errors == [RowError(3, "tags", "nested objects or arrays are not allowed")]


def test_parquet_columns_become_text_with_row_index(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "ref": ["A1", "A2"],
            "amount": pl.Series([Decimal("12.50"), Decimal("-3.00")], dtype=pl.Decimal(10, 2)),
            "day": [dt.date(2024, 1, 2), None],
            "at": [dt.datetime(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4, 5)],
            "n": [1, 2],
        }
    )
    path = tmp_path / "a.parquet"
    frame.write_parquet(path)
    table = read_table(path, max_bytes=LIMIT)
    assert _rows(table) == [
        (1, "A1", "12.50", "2024-01-02", "2024-01-02", "1"),
        (2, "A2", "-3.00", None, "2024-01-02T03:04:05", "2"),
    ]


# --- columns, reports, rejects -----------------------------------------------------------------


def test_require_columns_names_every_missing_one(tmp_path: Path) -> None:
    table = read_table(_write(tmp_path, "a.csv", "b,x\n1,2\n"), max_bytes=LIMIT)
    with pytest.raises(TableError) as caught:
        require_columns(table, ["a", "b", "c"])
    assert caught.value.detail == "missing required column(s): a, c"


def test_report_invariant_rows_read_is_accepted_plus_rejected() -> None:
    ImportReport(kind="k", rows_read=3, accepted=2, rejected=1)
    with pytest.raises(ValueError, match="rows_read"):
        ImportReport(kind="k", rows_read=3, accepted=2, rejected=0)
    with pytest.raises(ValueError, match="inserted"):
        ImportReport(kind="k", rows_read=2, accepted=2, rejected=0, inserted=1, applied=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=SUM(A1)", "'=SUM(A1)"), ("+1+1", "'+1+1"), ("@x", "'@x"), ("-x", "'-x"),
     ("-12.5", "-12.5"), ("+3", "+3"), ("plain", "plain"), (None, None)],
)  # fmt: skip
def test_neutralise_formulas_but_not_numbers(value: str | None, expected: str | None) -> None:
    assert neutralise(value) == expected


def test_rejects_file_holds_rejected_rows_with_reasons(tmp_path: Path) -> None:
    text = "ref,amount\nA1,10\nA2,=1+1\nA3,-4\n"
    table = read_table(_write(tmp_path, "a.csv", text), max_bytes=LIMIT)
    errors = [
        RowError(3, "amount", "not a number"),
        RowError(3, None, "also bad"),
        RowError(4, "amount", "negative"),
    ]
    target = tmp_path / "rejects.csv"
    assert write_rejects(target, table=table, errors=errors) == 2
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows == [
        ["source_row", "ref", "amount", "reason"],
        ["3", "A2", "'=1+1", "amount: not a number; also bad"],
        ["4", "A3", "-4", "amount: negative"],
    ]


# --- vectorised column checks ----------------------------------------------------------------


def test_checks_order_errors_by_row_then_file_column() -> None:
    frame = pl.DataFrame({ROW: [2, 3], "a": ["x", None], "b": [None, "y"]})
    checks = cols.Checks(frame)
    cols.text(checks, "b", required=True, max_length=5)
    cols.text(checks, "a", required=True, max_length=5)
    checks.add_rows([RowError(2, None, "whole row")])
    assert checks.row_errors() == [
        RowError(2, None, "whole row"),
        RowError(2, "b", cols.MISSING),
        RowError(3, "a", cols.MISSING),
    ]


def test_minor_units_worked_examples() -> None:
    frame = pl.DataFrame({ROW: [2, 3, 4, 5, 6, 7, 8, 9], "amount": [
        "1250000.50", "-12.5", "1.500", "100.5", "NaN", "1e3", "１００", "=1+1",
    ]})  # fmt: skip
    currency = pl.Series(["CNY", "CNY", "CNY", "JPY", "CNY", "CNY", "CNY", "CNY"])
    exponent = pl.Series([2, 2, 2, 0, 2, 2, 2, 2])
    checks = cols.Checks(frame)
    values = cols.minor_units(checks, "amount", currency=currency, exponent=exponent, required=True)
    assert values.to_list() == [125000050, -1250, 150, None, None, None, None, None]
    reasons = {e.row: e.reason for e in checks.row_errors()}
    assert reasons[5] == "100.5 has 1 decimals; JPY allows at most 0"
    assert "non-ASCII" in reasons[8]
    assert set(reasons) == {5, 6, 7, 8, 9}


_AMOUNT_TEXT = st.one_of(
    st.from_regex(r"\A[+-]?[0-9]{0,20}(\.[0-9]{0,5})?\Z", fullmatch=True),
    st.text(alphabet="0123456789.+-eE \tNaIfinty١０", max_size=12),
)


@settings(max_examples=400, deadline=None)
@given(text=_AMOUNT_TEXT, currency=st.sampled_from(["JPY", "CNY", "KWD", "CLF"]))
def test_vectorised_amounts_agree_with_parse_minor(text: str, currency: str) -> None:
    from arshield.kit.money import currency_exponent

    frame = pl.DataFrame({ROW: [2], "v": [text]})
    checks = cols.Checks(frame)
    got = cols.minor_units(
        checks,
        "v",
        currency=pl.Series([currency]),
        exponent=pl.Series([currency_exponent(currency)]),
        required=False,
    )[0]
    if not text.strip(" \t"):
        assert got is None
        return
    try:
        expected: int | None = parse_minor(text, currency)
    except ValidationFailed:
        expected = None
    if expected is not None and abs(expected) >= 2**63:
        expected = None
    assert got == expected
    assert (got is None) == bool(checks.row_errors())


def test_map_distinct_calls_parse_once_per_value() -> None:
    calls: list[str] = []

    def parse(value: str) -> str:
        calls.append(value)
        if value == "bad":
            raise ValidationFailed("bad value")
        return value.upper()

    source = pl.Series(["a", "bad", "a", None, "b", "bad"])
    values, errors = cols.map_distinct(source, parse, dtype=pl.Utf8)
    assert sorted(calls) == ["a", "b", "bad"]
    assert values.to_list() == ["A", None, "A", None, "B", None]
    assert errors.to_list() == [None, "bad value", None, None, None, "bad value"]


def test_jsonl_written_by_json_module_round_trips(tmp_path: Path) -> None:
    records = [{"ref": "A1", "name": "北京"}, {"ref": "A2", "name": None}]
    path = _write(
        tmp_path, "a.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    )
    assert _rows(read_table(path, max_bytes=LIMIT)) == [(1, "A1", "北京"), (2, "A2", None)]
