"""Dates are parsed strictly; ambiguous forms are refused."""

from __future__ import annotations

import datetime as dt

import pytest

from arshield.kit.time import DateError, parse_date, parse_month


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-06-30", dt.date(2026, 6, 30)),
        ("20260630", dt.date(2026, 6, 30)),
        ("2026/6/3", dt.date(2026, 6, 3)),
    ],
)
def test_accepted_forms(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "30/06/2026",
        "06/30/2026",
        "2026-02-30",
        "yesterday",
        "",
        "2026-6-3",
        "45000",
        "٢٠٢٦٠٦٣٠",
        "２０２６-０６-３０",
    ],
)
def test_ambiguous_or_invalid_dates_are_refused(text: str) -> None:
    with pytest.raises(DateError):
        parse_date(text)


def test_months() -> None:
    assert parse_month("2026-02") == dt.date(2026, 2, 1)
    assert parse_month("2026-02-17") == dt.date(2026, 2, 1)
    with pytest.raises(DateError):
        parse_month("2026-13")
