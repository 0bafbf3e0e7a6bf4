"""The columnar shape of a seller's ledger, as the analytics read it.

The ledger's tables are read in bulk into these Polars frames (never row by row through the
ORM); every report is a function of them and an ``as_of`` date. Money is integer minor units
of the row's ``currency`` (Int64). Ids are text.

- ``invoices``: one row per invoice.
- ``entries``: every ledger entry that reduces an invoice's outstanding amount, dated. ``kind``
  is ``allocation`` (a payment applied), ``discount`` (early-payment discount taken),
  ``credit_note`` or ``write_off``. A reversal is an entry of the same kind with the opposite
  sign, dated when it was made. Outstanding on a day D is ``amount`` minus the entries dated on
  or before D.
- ``disputes``: open or resolved disputes; a dispute counts on day D when
  ``opened_on <= D`` and (``resolved_on`` is null or ``resolved_on > D``).
- ``buyers``: the buyers the invoices name, with the grade in force on the report's date.
- ``payments``: payments received (for cash collected and payment behaviour).
"""

from __future__ import annotations

from typing import Final

import polars as pl

INVOICES: Final = pl.Schema(
    {
        "invoice_id": pl.Utf8,
        "invoice_ref": pl.Utf8,
        "company_id": pl.Utf8,
        "issue_date": pl.Date,
        "due_date": pl.Date,  # the due date in force (a payment plan's date where one applies)
        "currency": pl.Utf8,
        "amount": pl.Int64,
    }
)
ENTRIES: Final = pl.Schema(
    {
        "invoice_id": pl.Utf8,
        "date": pl.Date,
        "kind": pl.Utf8,
        "amount": pl.Int64,
    }
)
DISPUTES: Final = pl.Schema(
    {
        "invoice_id": pl.Utf8,
        "amount": pl.Int64,
        "opened_on": pl.Date,
        "resolved_on": pl.Date,
    }
)
BUYERS: Final = pl.Schema(
    {
        "company_id": pl.Utf8,
        "company_ref": pl.Utf8,
        "company_name": pl.Utf8,
        "country": pl.Utf8,
        "grade": pl.Int8,  # null when the buyer has no grade
    }
)
PAYMENTS: Final = pl.Schema(
    {
        "payment_id": pl.Utf8,
        "company_id": pl.Utf8,
        "date": pl.Date,
        "currency": pl.Utf8,
        "amount": pl.Int64,
    }
)

ENTRY_KINDS: Final = ("allocation", "discount", "credit_note", "write_off")
