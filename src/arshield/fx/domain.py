"""Foreign-exchange rates: exact rate text, inversion and conversion of minor units.

A rate means 1 unit of ``base`` = ``rate`` units of ``quote``. Rates are exact decimals written
with ASCII digits (no exponent, no sign but an optional ``+``), strictly positive, with at most
``RATE_DECIMALS`` decimals and ``RATE_INTEGER_DIGITS`` digits before the point. Pure code: no
database, no web.
"""

from __future__ import annotations

import datetime as dt
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
from typing import Final

from arshield.kit.errors import ValidationFailed
from arshield.kit.money import MoneyError, currency_exponent, normalize_currency, parse_decimal

RATE_DECIMALS: Final = 12
RATE_INTEGER_DIGITS: Final = 15
INVERSE_DIGITS: Final = 12
"""Significant digits of a rate computed as 1 / r from the inverse pair (rounded half-even)."""
MINOR_LIMIT: Final = 2**63 - 1
"""Converted amounts must fit a signed 64-bit minor-unit column."""
IDENTITY_SOURCE: Final = "identity"
DEFAULT_SOURCE: Final = "manual"
SOURCE_LENGTH: Final = 64

# Wide enough that minor (19 digits) x rate (27 digits) x 10**3 is exact; rounding would raise.
_EXACT = Context(prec=80, traps=[Inexact, InvalidOperation, DivisionByZero, Overflow])
_ROUNDING = Context(prec=80, rounding=ROUND_HALF_EVEN)


class RateError(ValidationFailed):
    """A rate that is not a strictly positive exact decimal within the allowed precision."""

    error_type = "invalid_rate"


def parse_rate(text: str) -> Decimal:
    """Parse rate text strictly ("7.1023", "0.00912", "+150"); reject anything else."""
    try:
        value = parse_decimal(text)
    except MoneyError as exc:
        raise RateError(str(exc.detail).replace("decimal number", "decimal rate")) from None
    return check_rate(value)


def check_rate(rate: Decimal) -> Decimal:
    """``rate`` normalised (trailing zeros dropped) after checking it is a usable rate."""
    if not isinstance(rate, Decimal) or not rate.is_finite():
        raise RateError(f"rate {rate!r} must be a finite Decimal")
    if rate <= 0:
        raise RateError(f"rate {format(rate, 'f')} must be greater than zero")
    plain = _plain(rate)
    _sign, digits, exponent = plain.as_tuple()
    assert isinstance(exponent, int)
    decimals = -exponent
    if decimals > RATE_DECIMALS:
        raise RateError(
            f"rate {format(rate, 'f')} has {decimals} decimals; at most {RATE_DECIMALS} allowed"
        )
    whole = len(digits) + exponent
    if whole > RATE_INTEGER_DIGITS:
        raise RateError(
            f"rate {format(rate, 'f')} has {whole} digits before the point; "
            f"at most {RATE_INTEGER_DIGITS} allowed"
        )
    return plain


def rate_text(rate: Decimal) -> str:
    """The canonical text of a checked rate: plain digits, no trailing zeros ("7.1", "100")."""
    return format(check_rate(rate), "f")


def invert_rate(rate: Decimal) -> Decimal:
    """1 / ``rate`` to ``INVERSE_DIGITS`` significant digits, half-even, trailing zeros dropped.

    The result can carry more than ``RATE_DECIMALS`` decimals (1 / 7000 = 0.000142857142857):
    significant digits, not decimals, bound an inverted rate's precision.
    """
    rate = check_rate(rate)
    with localcontext(Context(prec=INVERSE_DIGITS, rounding=ROUND_HALF_EVEN)):
        inverse = Decimal(1) / rate
    return _plain(inverse)


def _plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and never in exponent form (1E+3 -> 1000)."""
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    kept = list(digits)
    while exponent < 0 and len(kept) > 1 and kept[-1] == 0:
        kept.pop()
        exponent += 1
    if exponent > 0:
        kept.extend([0] * exponent)
        exponent = 0
    return Decimal((value.is_signed(), tuple(kept), exponent))


def convert_minor(minor: int, *, from_currency: str, to_currency: str, rate: Decimal) -> int:
    """``minor`` units of ``from_currency`` in minor units of ``to_currency`` at ``rate``.

    ``rate`` is units of ``to_currency`` per unit of ``from_currency`` (any positive Decimal, so
    an inverted rate with more than 12 decimals works too). The exact product is rounded
    half-even to the target's minor unit (JPY 0, CNY 2, KWD 3 decimals). Raises ``MoneyError``
    when the result does not fit a 64-bit minor-unit column.
    """
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise MoneyError(f"minor units must be an int, got {type(minor).__name__}")
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0:
        raise RateError(f"rate {rate!r} must be a finite Decimal greater than zero")
    shift = currency_exponent(to_currency) - currency_exponent(from_currency)
    with localcontext(_EXACT):
        try:
            exact = (Decimal(minor) * rate).scaleb(shift)
        except (Inexact, InvalidOperation, Overflow):
            raise MoneyError(f"{minor} x {rate} cannot be computed exactly") from None
    converted = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN, context=_ROUNDING))
    if abs(converted) > MINOR_LIMIT:
        raise MoneyError(
            f"{minor} {normalize_currency(from_currency)} minor units at {rate} do not fit "
            f"a 64-bit amount of {normalize_currency(to_currency)}"
        )
    return converted


def pair_text(base: str, quote: str) -> str:
    """A pair as written in messages and docs: ``USD/CNY``."""
    return f"{base}/{quote}"


@dataclass(frozen=True, slots=True)
class FxQuote:
    """The rate a conversion used: 1 ``base`` = ``rate`` ``quote``, dated ``date``.

    ``inverted`` is true when the rate was computed as 1 / r from the stored ``quote``/``base``
    rate; ``source`` is the stored rate's source (``identity`` when base equals quote).
    """

    base: str
    quote: str
    rate: Decimal
    date: dt.date
    source: str
    inverted: bool

    @property
    def pair(self) -> str:
        return pair_text(self.base, self.quote)

    def convert_minor(self, minor: int) -> int:
        """``minor`` units of ``base`` in minor units of ``quote`` at this quote's rate."""
        return convert_minor(minor, from_currency=self.base, to_currency=self.quote, rate=self.rate)


def identity_quote(currency: str, on: dt.date) -> FxQuote:
    """The rate of a currency against itself: exactly 1, dated ``on``."""
    code = normalize_currency(currency)
    return FxQuote(code, code, Decimal(1), on, IDENTITY_SOURCE, False)


def stored_quote(
    *, base: str, quote: str, rate_text_value: str, date: dt.date, source: str, inverted: bool
) -> FxQuote:
    """The quote a stored ``base``/``quote`` rate gives, inverted to read ``quote``/``base``."""
    rate = check_rate(Decimal(rate_text_value))
    if inverted:
        return FxQuote(quote, base, invert_rate(rate), date, source, True)
    return FxQuote(base, quote, rate, date, source, False)
