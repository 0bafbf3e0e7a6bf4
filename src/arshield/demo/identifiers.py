"""Registration identifiers: valid USCCs for China, plausible unique numbers elsewhere.

Every format with a public check-digit rule gets a correct check digit, so the data also
exercises the validators. Values are unique by construction: each country draws distinct
serial numbers, and formats of one ``id_type`` never overlap between countries.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from arshield.demo.profiles import COUNTRIES

IntArray = npt.NDArray[np.int64]
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])  # GB 11714-1997 organisation code
# Organisation codes issued since 2015 start with "MA".
_NEW_STYLE_FROM_YEAR = 2015


def unique_serials(rng: np.random.Generator, n: int, *, low: int, span: int) -> IntArray:
    """``n`` distinct integers in ``[low, low + span)`` with random gaps, in random order.

    Only when ``n`` exceeds ``span`` do they run past it (consecutive, still distinct).
    """
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n >= span:
        return rng.permutation(low + np.arange(n, dtype=np.int64)).astype(np.int64)
    steps = np.cumsum(rng.exponential(1.0, n + 1))
    # Floors of an increasing sequence never decrease; adding 0, 1, 2, ... makes them distinct.
    spread = np.floor(steps[:n] / steps[n] * (span - n)).astype(np.int64)
    values = low + spread + np.arange(n, dtype=np.int64)
    return rng.permutation(values).astype(np.int64)


def digits(values: IntArray, width: int) -> IntArray:
    """Decimal digits of ``values`` as an ``(n, width)`` matrix, most significant first."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers[None, :]) % 10).astype(np.int64)


def text(codes: npt.NDArray[np.uint8]) -> pl.Series:
    """Rows of an ASCII code matrix as strings."""
    width = codes.shape[1]
    raw = np.ascontiguousarray(codes.astype(np.uint8)).view(f"S{width}").ravel()
    return pl.Series(raw).cast(pl.String)


def digit_text(matrix: IntArray) -> pl.Series:
    """Rows of a digit matrix as strings."""
    return text((matrix + ord("0")).astype(np.uint8))


def luhn_check(body: IntArray) -> IntArray:
    """The Luhn check digit that completes each row of ``body``."""
    rev = body[:, ::-1]
    doubled = rev[:, 0::2] * 2
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    total = doubled.sum(axis=1) + rev[:, 1::2].sum(axis=1)
    return np.asarray((10 - total % 10) % 10, dtype=np.int64)


def uscc(rng: np.random.Generator, *, region: IntArray, founded_year: IntArray) -> pl.Series:
    """Unified social credit codes (GB 32100-2015) with correct check characters.

    ``9`` (market regulation) + ``1`` (enterprise) + region code + organisation code
    (GB 11714, "MA"-prefixed for companies registered since 2015) + check character.
    """
    n = region.size
    # Unique while there are fewer than 89 million Chinese companies (8-digit old-style codes).
    serial = unique_serials(rng, n, low=1, span=min(max(n * 30, 1_000_000), 89_000_000))
    new_style = founded_year >= _NEW_STYLE_FROM_YEAR
    # Old style: 8 digits; new style: "MA" + 6 characters of the USCC alphabet (base 31).
    old_body = digits(10_000_000 + serial, 8)
    base31 = (serial[:, None] // (31 ** np.arange(5, -1, -1, dtype=np.int64))[None, :]) % 31
    alphabet = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)
    ascii_new = np.concatenate(
        [np.full((n, 1), ord("M")), np.full((n, 1), ord("A")), alphabet[base31]], axis=1
    )
    ascii_old = old_body + ord("0")
    body_ascii = np.where(new_style[:, None], ascii_new, ascii_old).astype(np.int64)
    # GB 11714 values: digits as such, letters A=10 ... Z=35.
    gb_values = np.where(body_ascii >= ord("A"), body_ascii - 55, body_ascii - ord("0"))
    c9 = 11 - (gb_values * _ORG_WEIGHTS).sum(axis=1) % 11
    org_check = np.where(c9 == 10, ord("X"), np.where(c9 == 11, ord("0"), c9 + ord("0")))
    head = np.concatenate(
        [
            np.full((n, 1), ord("9")),
            np.full((n, 1), ord("1")),
            digits(region, 6) + ord("0"),
            body_ascii,
            org_check[:, None],
        ],
        axis=1,
    ).astype(np.int64)
    lookup = np.full(128, -1, dtype=np.int64)
    lookup[alphabet] = np.arange(len(USCC_ALPHABET))
    total = (lookup[head] * _USCC_WEIGHTS).sum(axis=1)
    check = alphabet[(31 - total % 31) % 31]
    return text(np.concatenate([head, check[:, None]], axis=1).astype(np.uint8))


def _pair(serial: IntArray, k: int) -> tuple[IntArray, IntArray]:
    """A bijection of serials onto (choice among k, local serial): keeps pairs unique."""
    return serial % k, serial // k


def _de(rng: np.random.Generator, n: int) -> pl.Series:
    return "HRB " + pl.Series(unique_serials(rng, n, low=10_000, span=990_000)).cast(pl.String)


def _us(rng: np.random.Generator, n: int) -> pl.Series:
    state, local = _pair(unique_serials(rng, n, low=0, span=48_000_000), 6)
    states = pl.Series(["DE", "CA", "NY", "TX", "FL", "IL"]).gather(state)
    return states + "-" + digit_text(digits(1_000_000 + local, 7))


def _fr(rng: np.random.Generator, n: int) -> pl.Series:
    body = digits(unique_serials(rng, n, low=30_000_000, span=69_000_000), 8)
    return digit_text(np.concatenate([body, luhn_check(body)[:, None]], axis=1))


def _it(rng: np.random.Generator, n: int) -> pl.Series:
    office, local = _pair(unique_serials(rng, n, low=100, span=99_000_000), 100)
    body = np.concatenate([digits(local + 1_000_000, 7), digits(office + 1, 3)], axis=1)
    return "IT" + digit_text(np.concatenate([body, luhn_check(body)[:, None]], axis=1))


def _gb(rng: np.random.Generator, n: int) -> pl.Series:
    return digit_text(digits(unique_serials(rng, n, low=1_000_000, span=14_000_000), 8))


def _jp(rng: np.random.Generator, n: int) -> pl.Series:
    offices = np.array([100, 104, 106, 1200, 1300, 3400, 4000, 4700, 5000, 6000], dtype=np.int64)
    office, local = _pair(unique_serials(rng, n, low=0, span=9_000_000), offices.size)
    body = np.concatenate(
        [digits(offices[office], 4), digits(np.ones(n, np.int64), 2), digits(local, 6)], axis=1
    )
    weights = np.tile([1, 2], 6)
    check = 9 - (body[:, ::-1] * weights).sum(axis=1) % 9
    return digit_text(np.concatenate([check[:, None], body], axis=1))


def _kr(rng: np.random.Generator, n: int) -> pl.Series:
    kind = np.array([81, 86, 87, 88], dtype=np.int64)
    serial = unique_serials(rng, n, low=0, span=7_990_000)
    office, rest = _pair(serial, 799)
    which, local = _pair(rest, kind.size)
    body = np.concatenate(
        [digits(office + 101, 3), digits(kind[which], 2), digits(local + 1, 4)], axis=1
    )
    weights = np.array([1, 3, 7, 1, 3, 7, 1, 3, 5])
    total = (body * weights).sum(axis=1) + (body[:, 8] * 5) // 10
    full = digit_text(np.concatenate([body, ((10 - total % 10) % 10)[:, None]], axis=1))
    return full.str.slice(0, 3) + "-" + full.str.slice(3, 2) + "-" + full.str.slice(5)


def _in(rng: np.random.Generator, n: int, *, nic: pl.Series, founded_year: IntArray) -> pl.Series:
    states = pl.Series(["MH", "DL", "KA", "TN", "GJ", "TG", "WB", "UP", "HR", "RJ"])
    serial = unique_serials(rng, n, low=10_000, span=980_000)
    listed = rng.random(n) < 0.04
    frame = pl.DataFrame(
        {
            "l": np.where(listed, "L", "U"),
            "nic": nic,
            "st": states.gather(rng.integers(0, states.len(), n)),
            "yr": founded_year,
            "kind": np.where(listed, "PLC", "PTC"),
            "no": digit_text(digits(serial, 6)),
        }
    )
    return frame.select(
        pl.concat_str(["l", "nic", "st", pl.col("yr").cast(pl.String), "kind", "no"])
    ).to_series()


def _vn(rng: np.random.Generator, n: int) -> pl.Series:
    provinces = np.array([1, 3, 2, 4, 37, 36], dtype=np.int64)
    province, local = _pair(unique_serials(rng, n, low=6, span=5_900_000), provinces.size)
    weights = np.array([31, 29, 23, 19, 17, 13, 7, 5, 3])
    # The last body digit is free: 0 unless it would make the check "10" (no such digit).
    body = np.concatenate(
        [digits(provinces[province], 2), digits(local + 1, 6), np.zeros((n, 1), np.int64)], axis=1
    )
    bad = (body * weights).sum(axis=1) % 11 == 0
    body[:, 8] = np.where(bad, 1, 0)
    check = 10 - (body * weights).sum(axis=1) % 11
    return digit_text(np.concatenate([body, check[:, None]], axis=1))


def _br(rng: np.random.Generator, n: int) -> pl.Series:
    base = digits(unique_serials(rng, n, low=1_000_000, span=98_000_000), 8)
    body = np.concatenate([base, digits(np.ones(n, np.int64), 4)], axis=1)
    w1 = np.array([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    d1 = (11 - (body * w1).sum(axis=1)) % 11 % 10
    w2 = np.array([6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    d2 = (11 - (np.concatenate([body, d1[:, None]], axis=1) * w2).sum(axis=1)) % 11 % 10
    full = digit_text(np.concatenate([body, d1[:, None], d2[:, None]], axis=1))
    s = full.str.slice
    return s(0, 2) + "." + s(2, 3) + "." + s(5, 3) + "/" + s(8, 4) + "-" + s(12, 2)


def _tr(rng: np.random.Generator, n: int) -> pl.Series:
    # Leading digit 4-9: never equal to a Vietnamese (0x, 3x) or Polish (000) registry number.
    body = digits(unique_serials(rng, n, low=400_000_000, span=599_000_000), 9)
    i = np.arange(1, 10, dtype=np.int64)  # position counted from the right
    c1 = (body[:, ::-1] + i) % 10
    c2 = (c1 * (2**i)) % 9
    c2 = np.where(c2 == 0, 9, c2)
    total = np.where(c1 != 0, c2, 0).sum(axis=1)
    return digit_text(np.concatenate([body, ((10 - total) % 10)[:, None]], axis=1))


def _pl(rng: np.random.Generator, n: int) -> pl.Series:
    return digit_text(digits(unique_serials(rng, n, low=10_000, span=1_200_000), 10))


def _es(rng: np.random.Generator, n: int, *, limited: npt.NDArray[np.bool_]) -> pl.Series:
    body = digits(unique_serials(rng, n, low=1_000_000, span=8_900_000), 7)
    check = luhn_check(body)
    letter = pl.Series(np.where(limited, "B", "A"))
    return "ES" + letter + digit_text(np.concatenate([body, check[:, None]], axis=1))


def _nl(rng: np.random.Generator, n: int) -> pl.Series:
    return digit_text(digits(unique_serials(rng, n, low=50_000_000, span=49_000_000), 8))


def _ae(rng: np.random.Generator, n: int) -> pl.Series:
    return "100" + digit_text(digits(unique_serials(rng, n, low=0, span=10**12), 12))


def _mx(rng: np.random.Generator, n: int, *, core: pl.Series, founded: pl.Series) -> pl.Series:
    """RFC: three letters of the name, the founding date and a three-character homoclave.

    The homoclave numbers companies sharing letters and date, so every RFC is distinct.
    """
    del rng
    letters = (
        pl.col("core")
        .str.to_uppercase()
        .str.replace_all("[^A-Z]", "")
        .str.slice(0, 3)
        .str.pad_end(3, "X")
    )
    date = pl.col("founded").fill_null(pl.date(2010, 1, 1)).dt.strftime("%y%m%d")
    keyed = pl.DataFrame({"core": core, "founded": founded}).select(
        pl.concat_str([letters, date]).alias("key")
    )
    rank = keyed.select(pl.int_range(pl.len()).over("key").cast(pl.Int64))
    # 7919 is coprime with 35**3, so distinct ranks give distinct homoclaves.
    spread = (rank.to_series().to_numpy() * 7919 + 1234) % 35**3
    alnum = np.frombuffer(b"0123456789ABCDEFGHIJKLMNPQRSTUVWXYZ", dtype=np.uint8)
    code = alnum[(spread[:, None] // (35 ** np.array([2, 1, 0]))) % 35]
    return keyed["key"] + text(code)


def _kw(rng: np.random.Generator, n: int) -> pl.Series:
    return pl.Series(unique_serials(rng, n, low=100_000, span=800_000)).cast(pl.String)


ID_TYPES = {
    "CN": "uscc", "DE": "registry", "US": "registry", "FR": "registry", "IT": "vat",
    "GB": "registry", "JP": "registry", "KR": "registry", "IN": "registry", "VN": "registry",
    "BR": "registry", "TR": "vat", "PL": "registry", "ES": "vat", "NL": "registry", "AE": "vat",
    "MX": "vat", "KW": "registry",
}  # fmt: skip


def registration_ids(
    rng: np.random.Generator,
    *,
    country: IntArray,
    region: IntArray,
    founded: pl.Series,
    nace: pl.Series,
    core_latin: pl.Series,
    legal_form_limited: npt.NDArray[np.bool_],
) -> tuple[pl.Series, pl.Series]:
    """``(id_type, registration_id)`` for every company."""
    n = country.size
    ids = pl.Series("registration_id", [None] * n, dtype=pl.String)
    founded_year = founded.dt.year().fill_null(2010).cast(pl.Int64).to_numpy()
    simple = {
        "DE": _de, "US": _us, "FR": _fr, "IT": _it, "GB": _gb, "JP": _jp, "KR": _kr,
        "VN": _vn, "BR": _br, "TR": _tr, "PL": _pl, "NL": _nl, "AE": _ae, "KW": _kw,
    }  # fmt: skip
    for c, profile in enumerate(COUNTRIES):
        rows = np.flatnonzero(country == c).astype(np.int64)
        if rows.size == 0:
            continue
        code = profile.code
        if code == "CN":
            values = uscc(rng, region=region[rows], founded_year=founded_year[rows])
        elif code == "IN":
            nic = nace.gather(rows).str.slice(1).str.replace(".", "", literal=True) + "0"
            values = _in(rng, rows.size, nic=nic, founded_year=founded_year[rows])
        elif code == "ES":
            values = _es(rng, rows.size, limited=legal_form_limited[rows])
        elif code == "MX":
            values = _mx(rng, rows.size, core=core_latin.gather(rows), founded=founded.gather(rows))
        else:
            values = simple[code](rng, rows.size)
        ids = ids.scatter(rows, values)
    id_type = pl.Series("id_type", [ID_TYPES[COUNTRIES[c].code] for c in range(len(COUNTRIES))])
    return id_type.gather(country), ids
