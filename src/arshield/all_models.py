"""Imports every area's tables so ``Base.metadata`` is complete (Alembic, tests)."""

from arshield.buyers import models as buyers_models
from arshield.fx import models as fx_models
from arshield.kit.db import Base
from arshield.orgs import models as orgs_models
from arshield.receivables import models as receivables_models
from arshield.risk import models as risk_models

__all__ = ["Base", "buyers_models", "fx_models", "orgs_models", "receivables_models", "risk_models"]
