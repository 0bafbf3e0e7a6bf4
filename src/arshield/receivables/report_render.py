"""A report's main table as CSV (cells that look like formulas are written as text)."""

from __future__ import annotations

import csv
import io

from arshield.kit.tabular import neutralise
from arshield.receivables.reports import Report


def report_csv(report: Report) -> str:
    """The first table of ``report`` with its CSV columns, amounts as plain decimal strings."""
    buf = io.StringIO()
    writer = csv.DictWriter(
        buf, fieldnames=report.csv_columns, extrasaction="ignore", lineterminator="\r\n"
    )
    writer.writeheader()
    for row in report.tables[0].rows:
        writer.writerow({c: neutralise(v) if isinstance(v, str) else v for c, v in row.items()})
    return buf.getvalue()
