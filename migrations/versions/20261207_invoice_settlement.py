"""invoice settlement kept from ledger entries

Each invoice gets ``settled_amount`` (the sum of its ledger entries) and ``last_entry_on`` (their
latest date), filled from the entries already stored and kept from then on by a trigger on
``ledger_entries`` (``arshield.receivables.settlement``). An index on the day each invoice is
settled from (``arshield.receivables.models.open_until``) lets an account's open items be read
without its settled history; it replaces the index on (org_id, company_id). The index on order
references keeps only invoices that have one.

Revision ID: e434a4434eaf
Revises: 438d2e973503
Create Date: 2026-12-07 06:37:20.322485
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from arshield.receivables import settlement

revision: str = "e434a4434eaf"
down_revision: str | None = "438d2e973503"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_UNTIL = "(CASE WHEN settled_amount < amount THEN '9999-12-31' ELSE last_entry_on END)"


def upgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("settled_amount", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("last_entry_on", sa.Date(), nullable=True))
    bind = op.get_bind()
    settlement.backfill(bind)
    settlement.install(bind)
    op.create_index(
        "ix_invoices_org_company_open",
        "invoices",
        ["org_id", "company_id", sa.text(OPEN_UNTIL)],
        unique=False,
    )
    # The new index's first two columns serve every read the old one served.
    op.drop_index("ix_invoices_org_company", table_name="invoices")
    # Only invoices that carry an order reference are looked up by it.
    op.drop_index("ix_invoices_org_order", table_name="invoices")
    op.create_index(
        "ix_invoices_org_order",
        "invoices",
        ["org_id", "order_ref"],
        unique=False,
        postgresql_where=sa.text("order_ref IS NOT NULL"),
        sqlite_where=sa.text("order_ref IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_invoices_org_order", table_name="invoices")
    op.create_index("ix_invoices_org_order", "invoices", ["org_id", "order_ref"], unique=False)
    op.create_index("ix_invoices_org_company", "invoices", ["org_id", "company_id"], unique=False)
    op.drop_index("ix_invoices_org_company_open", table_name="invoices")
    settlement.drop(op.get_bind())
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("last_entry_on")
        batch_op.drop_column("settled_amount")
