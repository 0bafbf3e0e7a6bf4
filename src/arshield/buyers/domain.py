"""Buyer registry rules: statuses, event types, identifiers, sectors, names. Pure code."""

from __future__ import annotations

import enum
import re
import unicodedata
from functools import lru_cache

import pycountry
from stdnum.cn import uscc

from arshield.kit.errors import ValidationFailed


class CompanyStatus(enum.StrEnum):
    ACTIVE = "active"
    INSOLVENT = "insolvent"
    DISSOLVED = "dissolved"


class EventType(enum.StrEnum):
    """Adverse and notable events the registry records."""

    LAWSUIT = "lawsuit"
    JUDGMENT = "judgment"
    INSOLVENCY_FILING = "insolvency_filing"
    INSOLVENCY_OPENED = "insolvency_opened"
    DEFAULT = "default"
    PAYMENT_INCIDENT = "payment_incident"
    TAX_ARREARS = "tax_arrears"
    MANAGEMENT_CHANGE = "management_change"
    OWNERSHIP_CHANGE = "ownership_change"
    CAPITAL_REDUCTION = "capital_reduction"
    DISSOLUTION = "dissolution"
    OTHER = "other"


# Events that put a buyer in default: the grade is forced to 10.
DEFAULT_EVENTS = frozenset(
    {EventType.INSOLVENCY_FILING, EventType.INSOLVENCY_OPENED, EventType.DEFAULT}
)


class Severity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


SEVERITY_BY_NUMBER = {
    "1": Severity.LOW,
    "2": Severity.MEDIUM,
    "3": Severity.HIGH,
    "4": Severity.CRITICAL,
}


class IdType(enum.StrEnum):
    """Registration identifier types. ``uscc`` is China's unified social credit code."""

    USCC = "uscc"
    LEI = "lei"
    VAT = "vat"
    DUNS = "duns"
    REGISTRY = "registry"
    OTHER = "other"


def parse_country(code: str) -> str:
    """An ISO 3166-1 alpha-2 code, upper-cased; unknown codes are rejected."""
    value = code.strip().upper() if isinstance(code, str) else ""
    if len(value) != 2 or pycountry.countries.get(alpha_2=value) is None:
        raise ValidationFailed(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return value


def validate_identifier(id_type: str, value: str) -> tuple[IdType, str]:
    """Check and normalise an identifier; USCC and LEI are checked with their check characters."""
    try:
        kind = IdType(id_type.strip().lower())
    except ValueError:
        allowed = ", ".join(t.value for t in IdType)
        raise ValidationFailed(f"unknown id_type {id_type!r}; expected one of {allowed}") from None
    raw = value.strip()
    if not raw:
        raise ValidationFailed("registration_id is empty")
    if kind is IdType.USCC:
        compact = uscc.compact(raw)
        if not uscc.is_valid(compact):
            raise ValidationFailed(
                f"{value!r} is not a valid unified social credit code (length, characters or "
                "check character)"
            )
        return kind, compact
    if kind is IdType.LEI:
        from stdnum import lei

        if not lei.is_valid(raw):
            raise ValidationFailed(f"{value!r} is not a valid LEI (ISO 17442 check digits)")
        return kind, lei.compact(raw)
    return kind, re.sub(r"\s+", "", raw).upper()


_NACE = re.compile(r"^(?P<section>[A-U])?(?P<division>\d{2})?(?:\.(?P<rest>\d{1,2}))?$")

# NACE Rev. 2 sections and the divisions each spans.
NACE_SECTIONS: dict[str, tuple[int, int, str]] = {
    "A": (1, 3, "Agriculture, forestry and fishing"),
    "B": (5, 9, "Mining and quarrying"),
    "C": (10, 33, "Manufacturing"),
    "D": (35, 35, "Electricity, gas, steam and air conditioning supply"),
    "E": (36, 39, "Water supply; sewerage, waste management and remediation"),
    "F": (41, 43, "Construction"),
    "G": (45, 47, "Wholesale and retail trade; repair of motor vehicles"),
    "H": (49, 53, "Transportation and storage"),
    "I": (55, 56, "Accommodation and food service activities"),
    "J": (58, 63, "Information and communication"),
    "K": (64, 66, "Financial and insurance activities"),
    "L": (68, 68, "Real estate activities"),
    "M": (69, 75, "Professional, scientific and technical activities"),
    "N": (77, 82, "Administrative and support service activities"),
    "O": (84, 84, "Public administration and defence; compulsory social security"),
    "P": (85, 85, "Education"),
    "Q": (86, 88, "Human health and social work activities"),
    "R": (90, 93, "Arts, entertainment and recreation"),
    "S": (94, 96, "Other service activities"),
    "T": (97, 98, "Activities of households as employers"),
    "U": (99, 99, "Activities of extraterritorial organisations and bodies"),
}


def section_of_division(division: int) -> str | None:
    for section, (low, high, _name) in NACE_SECTIONS.items():
        if low <= division <= high:
            return section
    return None


def parse_nace(code: str) -> str:
    """Normalise a NACE Rev. 2 code: ``C``, ``25``, ``25.1``, ``C25.11`` -> ``C``/``C25.11``."""
    value = code.strip().upper().replace(" ", "") if isinstance(code, str) else ""
    match = _NACE.match(value)
    if not value or match is None or (match["rest"] and not match["division"]):
        raise ValidationFailed(f"{code!r} is not a NACE Rev. 2 code (e.g. C, 25, 25.11, C25.11)")
    section, division, rest = match["section"], match["division"], match["rest"]
    if division is None:
        return section or ""
    derived = section_of_division(int(division))
    if derived is None or (section is not None and section != derived):
        raise ValidationFailed(f"{code!r}: division {division} is not a NACE Rev. 2 division")
    return f"{derived}{division}" + (f".{rest}" if rest else "")


def nace_section(code: str) -> str:
    """The section letter of a normalised NACE code."""
    return code[:1]


# Latin accents (combining marks U+0300-U+036F) are dropped so "Müller" and "Muller" agree;
# other scripts' marks (e.g. kana voicing) are kept.
_LATIN_ACCENTS = re.compile("[\u0300-\u036f]")
# Dotted initials ("S.A.", "s.p.a.", "B.V.") are joined so the legal form is recognised.
_DOTTED_INITIAL = re.compile(r"\b(\w)\.(?=\w\b)")


@lru_cache(maxsize=65536)
def search_key(name: str) -> str:
    """A name folded for matching: NFKC, case-folded, accents and legal forms dropped, Chinese
    as pinyin."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = unicodedata.normalize("NFC", _LATIN_ACCENTS.sub("", unicodedata.normalize("NFD", text)))
    for suffix in CHINESE_LEGAL_FORMS:
        text = text.replace(suffix, " ")
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        from pypinyin import lazy_pinyin  # imported on first use: it loads large dictionaries

        text = " ".join(lazy_pinyin(text))
    text = _DOTTED_INITIAL.sub(r"\1", text)
    text = re.sub(r"[^\w\s]", " ", text)
    words = [w for w in text.split() if w not in LEGAL_FORM_WORDS]
    return " ".join(words)


LEGAL_FORM_WORDS = frozenset(
    {
        "co",
        "ltd",
        "limited",
        "inc",
        "corp",
        "corporation",
        "company",
        "llc",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "oy",
        "ab",
        "as",
        "kg",
        "the",
    }
)
# Longest first, so 有限责任公司 is removed whole before 公司.
CHINESE_LEGAL_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "公司")
