"""The columnar shape of a seller's ledger, as the analytics read it.

The ledger's tables are read in bulk into these Polars frames (never row by row through the
ORM); every report is a function of them and an ``as_of`` date. Money is integer minor units
of the row's ``currency`` (Int64). Ids are text.

Besides its text ids, a frame may carry integer surrogate keys (UInt32), so that reports
group and match rows without hashing text: ``invoice_key`` on invoices, entries and disputes
(equal keys for equal ``invoice_id``), ``company_key`` on invoices and buyers (equal keys for
equal ``company_id``). Keys are only meaningful among frames keyed together by
:func:`with_keys` (the loader does it once); a report given frames without them derives them
from the ids. Invoices may also carry ``currency_code``: their ``currency`` as a ``pl.Enum``
of the frame's currencies in sorted order.

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

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import polars as pl

if TYPE_CHECKING:
    from polars._typing import JoinStrategy

KEY: Final = pl.UInt32
INVOICE_KEY: Final = "invoice_key"
COMPANY_KEY: Final = "company_key"
CURRENCY_CODE: Final = "currency_code"

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
KEY_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "invoices": (INVOICE_KEY, COMPANY_KEY),
    "entries": (INVOICE_KEY,),
    "disputes": (INVOICE_KEY,),
    "buyers": (COMPANY_KEY,),
}


@dataclass(frozen=True, slots=True)
class Keyed:
    """Invoices, entries, disputes and buyers sharing one numbering of their ids."""

    invoices: pl.DataFrame
    entries: pl.DataFrame
    disputes: pl.DataFrame
    buyers: pl.DataFrame


def with_keys(
    invoices: pl.DataFrame,
    entries: pl.DataFrame,
    disputes: pl.DataFrame | None = None,
    buyers: pl.DataFrame | None = None,
) -> Keyed:
    """The frames with ``invoice_key`` and ``company_key`` numbered from their ids.

    Invoice keys number the distinct ``invoice_id`` of the invoices in order of first
    appearance (0, 1, ...); entries and disputes take their invoice's key, and those naming no
    invoice in the frame are left out (no report reads them). Company keys number the distinct
    ``company_id`` of the buyers, then of the invoices. Invoices also get ``currency_code``.
    Existing key columns are replaced.
    """
    disputes = pl.DataFrame(schema=DISPUTES) if disputes is None else disputes
    buyers = pl.DataFrame(schema=BUYERS) if buyers is None else buyers
    plain = invoices.drop(INVOICE_KEY, COMPANY_KEY, CURRENCY_CODE, strict=False)
    currencies = pl.Enum(invoices["currency"].unique().drop_nulls().sort().to_list())
    plain = plain.with_columns(pl.col("currency").cast(currencies).alias(CURRENCY_CODE))
    if invoices["invoice_id"].n_unique() == invoices.height:  # one row per invoice: row numbers
        plain = plain.with_columns(pl.int_range(pl.len(), dtype=KEY).alias(INVOICE_KEY))
        invoice_ids = plain.select("invoice_id", INVOICE_KEY)
    else:
        invoice_ids = _numbered(plain.select("invoice_id"), INVOICE_KEY)
        plain = plain.join(invoice_ids, on="invoice_id", how="left", maintain_order="left")
    company_ids = _numbered(
        pl.concat(
            [
                buyers.select("company_id"),
                invoices.select(pl.col("company_id").unique(maintain_order=True)),
            ]
        ),
        COMPANY_KEY,
    )

    def keyed(frame: pl.DataFrame, ids: pl.DataFrame, how: JoinStrategy) -> pl.DataFrame:
        on, key = ids.columns
        return frame.drop(key, strict=False).join(ids, on=on, how=how, maintain_order="left")

    return Keyed(
        invoices=keyed(plain, company_ids, "left"),
        entries=keyed(entries, invoice_ids, "inner"),
        disputes=keyed(disputes, invoice_ids, "inner"),
        buyers=keyed(buyers, company_ids, "left"),
    )


def _numbered(ids: pl.DataFrame, key: str) -> pl.DataFrame:
    """The distinct values of the one column of ``ids``, in order of first appearance, with
    ``key`` numbering them from 0."""
    name = ids.columns[0]
    return ids.unique(maintain_order=True).select(
        name, pl.int_range(pl.len(), dtype=KEY).alias(key)
    )
