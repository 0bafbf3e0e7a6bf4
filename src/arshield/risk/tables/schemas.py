"""Request and response bodies for country and sector risk tables."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from arshield.risk.models import CountryRisk, SectorRisk
from arshield.risk.tables.domain import (
    MAX_REASON_LENGTH,
    MediumTermGrade,
    SectorRiskLevel,
    iso_country_names,
)
from arshield.risk.tables.service import section_name


class CountryRiskOut(BaseModel):
    """A country's rating over ``[valid_from, valid_to)``; ``valid_to`` null means current."""

    country: str = Field(description="ISO 3166-1 alpha-2 code.")
    name: str
    short_term: int = Field(ge=1, le=4, description="Short-term risk level, 1 (lowest) to 4.")
    medium_term: MediumTermGrade = Field(description="Medium-term grade, AA (lowest risk) to D.")
    valid_from: dt.date
    valid_to: dt.date | None
    changed_by: str
    reason: str

    @classmethod
    def of(cls, row: CountryRisk) -> CountryRiskOut:
        return cls(
            country=row.country,
            name=iso_country_names().get(row.country, row.country),
            short_term=row.short_term,
            medium_term=MediumTermGrade(row.medium_term),
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            changed_by=row.changed_by,
            reason=row.reason,
        )


class CountryRiskUpdate(BaseModel):
    """A new rating for a country, in force from ``effective_from``."""

    model_config = ConfigDict(extra="forbid")

    short_term: int = Field(ge=1, le=4, description="Short-term risk level, 1 (lowest) to 4.")
    medium_term: MediumTermGrade
    effective_from: dt.date
    reason: str = Field(min_length=1, max_length=MAX_REASON_LENGTH)


class SectorRiskOut(BaseModel):
    """A NACE section's risk level over ``[valid_from, valid_to)``."""

    section: str = Field(description="NACE Rev. 2 section letter, A to U.")
    name: str
    risk: SectorRiskLevel
    valid_from: dt.date
    valid_to: dt.date | None
    changed_by: str
    reason: str

    @classmethod
    def of(cls, row: SectorRisk) -> SectorRiskOut:
        return cls(
            section=row.section,
            name=section_name(row.section),
            risk=SectorRiskLevel(row.risk),
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            changed_by=row.changed_by,
            reason=row.reason,
        )


class SectorRiskUpdate(BaseModel):
    """A new risk level for a NACE section, in force from ``effective_from``."""

    model_config = ConfigDict(extra="forbid")

    risk: SectorRiskLevel
    effective_from: dt.date
    reason: str = Field(min_length=1, max_length=MAX_REASON_LENGTH)
