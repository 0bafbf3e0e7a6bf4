"""Imports every area's tables so ``Base.metadata`` is complete (Alembic, tests)."""

from arshield.audit import models as audit_models
from arshield.buyers import models as buyers_models
from arshield.cover import models as cover_models
from arshield.fx import models as fx_models
from arshield.kit import idempotency as idempotency_models
from arshield.kit.append_only import guard
from arshield.kit.db import Base
from arshield.orgs import models as orgs_models
from arshield.receivables import models as receivables_models
from arshield.receivables import settlement
from arshield.risk import models as risk_models
from arshield.workbench import models as workbench_models

__all__ = [
    "Base",
    "audit_models",
    "buyers_models",
    "cover_models",
    "fx_models",
    "idempotency_models",
    "orgs_models",
    "receivables_models",
    "risk_models",
    "workbench_models",
]

# The ledger's journal and the record of invoice changes are append-only at the database, as the
# audit trail is (no code path updates or deletes their rows; corrections are new rows).
guard(receivables_models.LedgerEntry.__table__)
guard(receivables_models.InvoiceRevision.__table__)
# Each invoice's settled amount and latest entry date follow its entries, by a trigger.
settlement.keep(receivables_models.LedgerEntry.__table__)
# A cover's history: every grant, reduction and cancellation is a new decision.
guard(cover_models.CoverDecision.__table__)
