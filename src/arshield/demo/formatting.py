"""Text for CSV cells: money as decimal strings with exactly the currency's decimals."""

from __future__ import annotations

import sys

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

IntArray = npt.NDArray[np.int64]


def _decimal_text(minor: IntArray, exponent: int) -> pl.Series:
    """Integer minor units read as an Arrow decimal of scale ``exponent``, then as text.

    The integers are reinterpreted, never converted through floats: a 128-bit decimal is the
    int64 value plus its sign extension (little-endian, as Arrow stores it).
    """
    words = np.empty((minor.size, 2), dtype=np.int64)
    words[:, 0] = minor
    words[:, 1] = minor >> 63
    array = pa.Array.from_buffers(
        pa.decimal128(38, exponent), minor.size, [None, pa.py_buffer(words)]
    )
    series = pl.from_arrow(array)
    assert isinstance(series, pl.Series)
    return series.cast(pl.String)


def _expression_text(minor: IntArray, exponent: int) -> pl.Series:
    """The same text built with string expressions (portable, slower)."""
    frame = pl.DataFrame({"m": minor})
    magnitude = pl.col("m").abs()
    sign = pl.when(pl.col("m") < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    if exponent == 0:
        return frame.select(pl.col("m").cast(pl.String)).to_series()
    unit = 10**exponent
    text = pl.concat_str(
        [
            sign,
            (magnitude // unit).cast(pl.String),
            pl.lit("."),
            (magnitude % unit + unit).cast(pl.String).str.slice(1),
        ]
    )
    return frame.select(text).to_series()


class MoneyText:
    """Formats many columns that share one per-row currency exponent.

    Rows are grouped by exponent once; each column is rendered group by group and put back
    in the original row order.
    """

    def __init__(self, exponent: IntArray) -> None:
        exponent = np.asarray(exponent, dtype=np.int64)
        self._render = _decimal_text if sys.byteorder == "little" else _expression_text
        self._values = [int(e) for e in np.unique(exponent)]
        if len(self._values) > 1:
            self._order = np.argsort(exponent, kind="stable")
            sorted_exp = exponent[self._order]
            self._bounds = np.searchsorted(sorted_exp, [*self._values, self._values[-1] + 1])
            self._inverse = pl.Series(np.argsort(self._order, kind="stable"))

    def __call__(self, minor: IntArray) -> pl.Series:
        """Integer minor units as plain decimal text (``123456`` at exponent 2 -> "1234.56")."""
        minor = np.ascontiguousarray(minor, dtype=np.int64)
        if len(self._values) <= 1:
            return self._render(minor, self._values[0] if self._values else 0).alias("amount")
        ordered = minor[self._order]
        pieces = [
            self._render(ordered[self._bounds[i] : self._bounds[i + 1]], e)
            for i, e in enumerate(self._values)
        ]
        return pl.concat(pieces).gather(self._inverse).alias("amount")


def minor_text(minor: IntArray, exponent: IntArray) -> pl.Series:
    """Integer minor units as plain decimal text: ``123456, 2 -> "1234.56"``, ``-5, 0 -> "-5"``.

    Computed on integers only, so no float ever reaches the output.
    """
    return MoneyText(exponent)(minor)
