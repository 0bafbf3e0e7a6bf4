"""Country and sector profiles that shape the demo data (documented in docs/demo-data.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class CountryProfile:
    """How companies of one country look: share, currency, productivity, risk and payment habits."""

    code: str
    share: float
    currency: str
    usd_per_unit: float  # rough 2025 exchange rate, only to size amounts plausibly
    productivity: float  # nominal sales per employee relative to the United States
    risk_shift: float  # added to the hidden default propensity
    delay_factor: float  # local payment culture: multiplies days beyond terms
    interest_rate: float  # typical rate on interest-bearing debt
    language: str  # key into the name vocabularies
    legal_forms: tuple[tuple[str, float], ...]


COUNTRIES: Final[tuple[CountryProfile, ...]] = (
    CountryProfile("CN", 0.46, "CNY", 0.14, 0.35, 0.05, 1.40, 0.045, "zh", (("", 1.0),)),
    CountryProfile(
        "DE",
        0.08,
        "EUR",
        1.10,
        0.85,
        -0.15,
        0.60,
        0.045,
        "de",
        (("GmbH", 0.70), ("GmbH & Co. KG", 0.14), ("AG", 0.08), ("UG (haftungsbeschränkt)", 0.08)),
    ),
    CountryProfile(
        "US",
        0.08,
        "USD",
        1.0,
        1.0,
        -0.05,
        0.90,
        0.065,
        "en",
        (("Inc.", 0.50), ("LLC", 0.40), ("Corp.", 0.10)),
    ),
    CountryProfile(
        "FR",
        0.04,
        "EUR",
        1.10,
        0.80,
        0.0,
        1.10,
        0.045,
        "fr",
        (("SAS", 0.55), ("SARL", 0.35), ("S.A.", 0.10)),
    ),
    CountryProfile(
        "IT", 0.04, "EUR", 1.10, 0.75, 0.05, 1.50, 0.050, "it", (("S.r.l.", 0.85), ("S.p.A.", 0.15))
    ),
    CountryProfile(
        "GB", 0.04, "GBP", 1.30, 0.80, 0.0, 1.00, 0.060, "en", (("Ltd", 0.92), ("PLC", 0.08))
    ),
    CountryProfile(
        "JP",
        0.04,
        "JPY",
        0.0068,
        0.70,
        -0.20,
        0.50,
        0.020,
        "ja",
        (("K.K.", 0.45), ("Co., Ltd.", 0.45), ("G.K.", 0.10)),
    ),
    CountryProfile(
        "KR",
        0.03,
        "KRW",
        0.00073,
        0.65,
        -0.10,
        0.80,
        0.050,
        "ko",
        (("Co., Ltd.", 0.85), ("Corp.", 0.15)),
    ),
    CountryProfile(
        "IN",
        0.03,
        "INR",
        0.012,
        0.12,
        0.15,
        1.50,
        0.100,
        "hi",
        (("Pvt. Ltd.", 0.80), ("Ltd", 0.12), ("LLP", 0.08)),
    ),
    CountryProfile(
        "VN",
        0.025,
        "VND",
        0.000039,
        0.10,
        0.15,
        1.30,
        0.090,
        "vi",
        (("Co., Ltd", 0.70), ("JSC", 0.30)),
    ),
    CountryProfile(
        "BR", 0.02, "BRL", 0.18, 0.25, 0.20, 1.40, 0.120, "pt", (("Ltda.", 0.80), ("S.A.", 0.20))
    ),
    CountryProfile(
        "TR",
        0.02,
        "TRY",
        0.025,
        0.30,
        0.25,
        1.50,
        0.150,
        "tr",
        (
            ("San. ve Tic. A.Ş.", 0.35),
            ("A.Ş.", 0.15),
            ("San. ve Tic. Ltd. Şti.", 0.30),
            ("Ltd. Şti.", 0.20),
        ),
    ),
    CountryProfile(
        "PL",
        0.02,
        "PLN",
        0.26,
        0.40,
        0.05,
        1.00,
        0.070,
        "pl",
        (("Sp. z o.o.", 0.88), ("S.A.", 0.12)),
    ),
    CountryProfile(
        "ES", 0.02, "EUR", 1.10, 0.65, 0.05, 1.30, 0.050, "es", (("S.L.", 0.85), ("S.A.", 0.15))
    ),
    CountryProfile(
        "NL", 0.02, "EUR", 1.10, 0.90, -0.15, 0.70, 0.045, "nl", (("B.V.", 0.93), ("N.V.", 0.07))
    ),
    CountryProfile(
        "AE",
        0.015,
        "AED",
        0.2723,
        0.70,
        0.05,
        1.40,
        0.060,
        "ar",
        (("LLC", 0.60), ("FZE", 0.25), ("FZCO", 0.15)),
    ),
    CountryProfile(
        "MX",
        0.015,
        "MXN",
        0.054,
        0.25,
        0.15,
        1.30,
        0.110,
        "es",
        (("S.A. de C.V.", 0.70), ("S. de R.L. de C.V.", 0.30)),
    ),
    CountryProfile(
        "KW",
        0.005,
        "KWD",
        3.25,
        0.70,
        0.0,
        1.30,
        0.050,
        "ar",
        (("W.L.L.", 0.75), ("K.S.C.C.", 0.25)),
    ),
)


@dataclass(frozen=True, slots=True)
class SectorGroup:
    """A family of NACE Rev. 2 classes with shared financial shape."""

    key: str
    share: float
    risk_shift: float
    sales_per_employee_usd: float  # at United States productivity
    asset_turnover: float  # sales / total assets
    current_share: float  # current assets / total assets
    inventory_share: float  # inventory / current assets
    gross_margin: float
    nace: tuple[str, ...]


SECTORS: Final[tuple[SectorGroup, ...]] = (
    SectorGroup(
        "metal",
        0.16,
        0.0,
        220_000,
        1.00,
        0.50,
        0.35,
        0.25,
        ("C24.10", "C25.11", "C25.62", "C25.73", "C28.11", "C28.22", "C28.41", "C28.92"),
    ),
    SectorGroup(
        "electronics",
        0.10,
        0.0,
        300_000,
        0.95,
        0.60,
        0.30,
        0.28,
        ("C26.11", "C26.20", "C26.30", "C27.11", "C27.32", "C27.40", "C27.51"),
    ),
    SectorGroup(
        "chemicals",
        0.07,
        -0.05,
        400_000,
        0.85,
        0.50,
        0.30,
        0.30,
        ("C20.13", "C20.16", "C20.30", "C22.21", "C22.29"),
    ),
    SectorGroup(
        "textiles",
        0.06,
        0.15,
        150_000,
        1.20,
        0.60,
        0.40,
        0.22,
        ("C13.20", "C14.13", "C14.19", "C15.20"),
    ),
    SectorGroup(
        "food",
        0.08,
        -0.05,
        280_000,
        1.40,
        0.45,
        0.30,
        0.25,
        ("C10.11", "C10.51", "C10.71", "C10.89", "C11.07", "A01.13", "A01.24"),
    ),
    SectorGroup(
        "construction",
        0.10,
        0.20,
        200_000,
        1.10,
        0.70,
        0.20,
        0.15,
        ("F41.20", "F42.11", "F43.21", "F43.32", "C23.61"),
    ),
    SectorGroup(
        "trade",
        0.20,
        0.05,
        700_000,
        2.00,
        0.78,
        0.35,
        0.15,
        ("G46.18", "G46.43", "G46.69", "G46.72", "G46.90", "G45.31", "G47.19"),
    ),
    SectorGroup(
        "logistics",
        0.07,
        0.10,
        180_000,
        1.10,
        0.40,
        0.05,
        0.18,
        ("H49.41", "H52.10", "H52.29", "H50.20"),
    ),
    SectorGroup(
        "services",
        0.08,
        0.0,
        150_000,
        1.20,
        0.65,
        0.03,
        0.40,
        ("J62.01", "J62.02", "J63.11", "M71.12", "M70.22", "N82.99", "N78.10"),
    ),
    SectorGroup(
        "auto", 0.04, 0.05, 280_000, 1.00, 0.50, 0.30, 0.18, ("C29.10", "C29.31", "C29.32")
    ),
    SectorGroup(
        "energy", 0.02, -0.10, 900_000, 0.45, 0.30, 0.10, 0.30, ("B08.12", "D35.11", "E38.32")
    ),
    SectorGroup("real_estate", 0.02, 0.15, 400_000, 0.20, 0.35, 0.40, 0.35, ("L68.20", "I55.10")),
)

FloatArray = npt.NDArray[np.float64]


def country_array(field: str) -> FloatArray:
    """One numeric field of every country profile, in ``COUNTRIES`` order."""
    return np.array([float(getattr(c, field)) for c in COUNTRIES], dtype=np.float64)


def sector_array(field: str) -> FloatArray:
    """One numeric field of every sector group, in ``SECTORS`` order."""
    return np.array([float(getattr(s, field)) for s in SECTORS], dtype=np.float64)
