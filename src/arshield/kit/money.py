"""Money: Decimal amounts with an ISO 4217 currency, stored as integer minor units.

Amounts are never floats. Text is parsed strictly: NaN, Infinity, exponents, full-width digits
and more decimals than the currency's ISO 4217 exponent are rejected, never rounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    localcontext,
)
from functools import lru_cache
from typing import Final

import iso4217

from arshield.kit.errors import ValidationFailed

# Codes without a minor unit in ISO 4217 (metals, fund and testing codes) carry no trade debt.
_NON_TRADE: Final = frozenset(
    {"XAU", "XAG", "XPT", "XPD", "XDR", "XBA", "XBB", "XBC", "XBD", "XTS", "XXX", "XSU", "XUA"}
)
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")


class MoneyError(ValidationFailed):
    """An amount or currency that cannot be represented exactly."""

    error_type = "invalid_amount"


@lru_cache(maxsize=512)
def currency_exponent(code: str) -> int:
    """ISO 4217 minor-unit exponent of ``code`` (JPY 0, CNY 2, KWD 3)."""
    upper = code.strip().upper() if isinstance(code, str) else ""
    if upper in _NON_TRADE:
        raise MoneyError(f"currency {code!r} has no minor unit and is not accepted")
    try:
        cur = iso4217.Currency(upper)
    except (ValueError, KeyError):
        raise MoneyError(f"unknown ISO 4217 currency {code!r}") from None
    exponent = cur.exponent
    if exponent is None:
        raise MoneyError(f"currency {code!r} has no minor unit and is not accepted")
    return int(exponent)


def normalize_currency(code: str) -> str:
    """Upper-case ``code`` after checking it is a known trade currency."""
    currency_exponent(code)
    return code.strip().upper()


def parse_decimal(text: str) -> Decimal:
    """Parse a plain decimal number ("1234.50", "-3", ".5"); reject anything else."""
    if not isinstance(text, str):
        raise MoneyError(f"expected text, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped.isascii():
        raise MoneyError(f"{text!r} contains non-ASCII characters (full-width digits?)")
    if not _PLAIN_NUMBER.match(stripped):
        raise MoneyError(f"{text!r} is not a plain decimal number (no exponents, NaN or Infinity)")
    return Decimal(stripped)


def check_scale(amount: Decimal, currency: str) -> None:
    """Reject an amount with more decimals than ``currency`` allows."""
    if not amount.is_finite():
        raise MoneyError(f"{amount} is not a finite amount")
    exponent = currency_exponent(currency)
    as_tuple = amount.normalize().as_tuple()
    decimals = -int(as_tuple.exponent) if int(as_tuple.exponent) < 0 else 0
    if decimals > exponent:
        raise MoneyError(
            f"{amount} has {decimals} decimals; {currency.upper()} allows at most {exponent}"
        )


_DIGITS = 60  # far beyond any amount; arithmetic that would round raises instead
_EXACT = Context(prec=_DIGITS, traps=[Inexact, InvalidOperation, DivisionByZero, Overflow])


def to_minor(amount: Decimal, currency: str) -> int:
    """Exact integer minor units of ``amount``; raises if it does not fit the currency."""
    check_scale(amount, currency)
    with localcontext(_EXACT):
        try:
            return int(amount.scaleb(currency_exponent(currency)))
        except (Inexact, InvalidOperation, Overflow):
            raise MoneyError(f"{amount} cannot be represented exactly") from None


def from_minor(minor: int, currency: str) -> Decimal:
    """Decimal amount for integer ``minor`` units of ``currency``."""
    exponent = currency_exponent(currency)
    with localcontext(_EXACT):
        try:
            return Decimal(minor).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))
        except (Inexact, InvalidOperation, Overflow):
            raise MoneyError(f"{minor} minor units of {currency} are out of range") from None


def parse_minor(text: str, currency: str) -> int:
    """Parse ``text`` strictly and return integer minor units of ``currency``."""
    return to_minor(parse_decimal(text), currency)


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "currency", normalize_currency(self.currency))
        if not isinstance(self.amount, Decimal):
            raise MoneyError("Money amounts must be Decimal, never float")
        check_scale(self.amount, self.currency)
        exponent = currency_exponent(self.currency)
        with localcontext(_EXACT):
            try:
                value = self.amount.quantize(Decimal(1).scaleb(-exponent))
            except (Inexact, InvalidOperation, Overflow):
                raise MoneyError(f"{self.amount} cannot be represented exactly") from None
        object.__setattr__(self, "amount", value)

    @classmethod
    def of_minor(cls, minor: int, currency: str) -> Money:
        return cls(from_minor(minor, currency), currency)

    @classmethod
    def parse(cls, text: str, currency: str) -> Money:
        return cls(parse_decimal(text), currency)

    @property
    def minor(self) -> int:
        return to_minor(self.amount, self.currency)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def multiply(self, factor: Decimal, *, rounding: str = ROUND_HALF_EVEN) -> Money:
        """Multiply by ``factor``, rounding to the currency's minor unit with ``rounding``."""
        exponent = currency_exponent(self.currency)
        try:
            value = (self.amount * factor).quantize(Decimal(1).scaleb(-exponent), rounding=rounding)
        except InvalidOperation as exc:
            raise MoneyError(f"cannot multiply {self} by {factor}") from exc
        return Money(value, self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
