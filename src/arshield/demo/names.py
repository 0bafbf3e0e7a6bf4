"""Company names: Chinese names with a Latin rendering, local Latin names elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from arshield.demo import vocab
from arshield.demo.profiles import COUNTRIES, SECTORS

IntArray = npt.NDArray[np.int64]
_REDRAW_ROUNDS = 12
# Share of companies given a near-duplicate of another company's name (see docs/demo-data.md).
CROSS_COUNTRY_TWIN_SHARE = 0.006
CHINESE_TWIN_SHARE = 0.004
# Latin name patterns and their weights.
_PATTERN_WEIGHTS = np.array([0.26, 0.10, 0.22, 0.07, 0.10, 0.15, 0.10])
# Redraws of a repeated name use only the patterns with many combinations.
_REDRAW_WEIGHTS = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.3, 0.7])


@dataclass(frozen=True, slots=True)
class Names:
    """Names of all companies: display name, Latin rendering (Chinese only), Latin core."""

    name: pl.Series
    name_latin: pl.Series
    core_latin: pl.Series  # the name without legal form, in Latin script


@dataclass(frozen=True, slots=True)
class _Vocab:
    cities_zh: pl.Series
    cities_py: pl.Series
    city_weights: npt.NDArray[np.float64]
    trade_zh: pl.Series
    trade_py: pl.Series
    cn_industry_zh: pl.Series
    cn_industry_en: pl.Series
    cn_industry_start: IntArray
    cn_industry_count: IntArray
    cn_forms: pl.Series
    cn_form_weights: npt.NDArray[np.float64]
    brands: pl.Series


def _build_vocab() -> _Vocab:
    ind_zh: list[str] = []
    ind_en: list[str] = []
    starts: list[int] = []
    counts: list[int] = []
    for group in vocab.CN_INDUSTRY:
        starts.append(len(ind_zh))
        counts.append(len(group))
        ind_zh.extend(zh for zh, _ in group)
        ind_en.extend(en for _, en in group)
    weights = np.array([w for _, _, w, _ in vocab.CN_CITIES], dtype=np.float64)
    brands = [
        p + s
        for p in vocab.BRAND_PREFIXES
        for s in vocab.BRAND_SUFFIXES
        if not p.lower().endswith(s)
    ]
    return _Vocab(
        cities_zh=pl.Series([c[0] for c in vocab.CN_CITIES]),
        cities_py=pl.Series([c[1] for c in vocab.CN_CITIES]),
        city_weights=weights / weights.sum(),
        trade_zh=pl.Series([c for c, _ in vocab.CN_TRADE_CHARS]),
        trade_py=pl.Series([p for _, p in vocab.CN_TRADE_CHARS]),
        cn_industry_zh=pl.Series(ind_zh),
        cn_industry_en=pl.Series(ind_en),
        cn_industry_start=np.array(starts, dtype=np.int64),
        cn_industry_count=np.array(counts, dtype=np.int64),
        cn_forms=pl.Series([f for f, _ in vocab.CN_LEGAL_FORMS]),
        cn_form_weights=np.array([w for _, w in vocab.CN_LEGAL_FORMS], dtype=np.float64),
        brands=pl.Series(brands),
    )


_VOCAB = _build_vocab()


def city_of_chinese(rng: np.random.Generator, n: int) -> IntArray:
    """Draw ``n`` Chinese city indexes (into ``vocab.CN_CITIES``), weighted by economy."""
    return rng.choice(len(vocab.CN_CITIES), size=n, p=_VOCAB.city_weights).astype(np.int64)


def _pick(rng: np.random.Generator, start: IntArray, count: IntArray) -> IntArray:
    return start + np.floor(rng.random(start.size) * count).astype(np.int64)


def _chinese_parts(
    rng: np.random.Generator, city: IntArray, sector: IntArray, three_chars: bool
) -> pl.DataFrame:
    """Parts of Chinese names: city, optional 市, trade name, industry word, legal form."""
    v = _VOCAB
    n = city.size
    n_chars = len(vocab.CN_TRADE_CHARS)
    first = rng.integers(0, n_chars, n)
    second = (first + rng.integers(1, n_chars, n)) % n_chars
    third = rng.integers(0, n_chars, n)
    industry = _pick(rng, v.cn_industry_start[sector], v.cn_industry_count[sector])
    form = rng.choice(len(v.cn_forms), size=n, p=v.cn_form_weights)
    shi = rng.random(n) < 0.5
    trade_zh = v.trade_zh.gather(first) + v.trade_zh.gather(second)
    trade_py = v.trade_py.gather(first).str.to_titlecase() + v.trade_py.gather(second)
    if three_chars:
        trade_zh = trade_zh + v.trade_zh.gather(third)
        trade_py = trade_py + v.trade_py.gather(third)
    return pl.DataFrame(
        {
            "city_zh": v.cities_zh.gather(city),
            "shi": pl.Series(np.where(shi, "市", "")),
            "body_zh": trade_zh + v.cn_industry_zh.gather(industry),
            "form_zh": v.cn_forms.gather(form),
            "city_py": v.cities_py.gather(city),
            "body_py": trade_py + " " + v.cn_industry_en.gather(industry),
        }
    )


def _chinese_text(parts: pl.DataFrame) -> tuple[pl.Series, pl.Series, pl.Series]:
    out = parts.select(
        pl.concat_str(["city_zh", "shi", "body_zh", "form_zh"]).alias("name"),
        pl.concat_str(["city_py", "body_py"], separator=" ").alias("core"),
    )
    core = out["core"]
    latin = (core + " Co., Ltd.").alias("name_latin")
    return out["name"], latin, core


@dataclass(frozen=True, slots=True)
class _LatinTables:
    surnames: pl.Series
    places: pl.Series
    industry: pl.Series
    industry_start: IntArray
    industry_count: IntArray
    forms: pl.Series
    form_weights: npt.NDArray[np.float64]
    industry_first: bool


def _latin_tables(country: int) -> _LatinTables:
    profile = COUNTRIES[country]
    lang = profile.language
    industry: list[str] = []
    starts: list[int] = []
    counts: list[int] = []
    for group in vocab.INDUSTRY.get(lang, vocab.INDUSTRY["en"]):
        variants = group.split("|")
        starts.append(len(industry))
        counts.append(len(variants))
        industry.extend(variants)
    weights = np.array([w for _, w in profile.legal_forms], dtype=np.float64)
    return _LatinTables(
        surnames=pl.Series(vocab.words(vocab.SURNAMES[lang])),
        places=pl.Series(vocab.words(vocab.PLACES[profile.code])),
        industry=pl.Series(industry),
        industry_start=np.array(starts, dtype=np.int64),
        industry_count=np.array(counts, dtype=np.int64),
        forms=pl.Series([f for f, _ in profile.legal_forms]),
        form_weights=weights / weights.sum(),
        industry_first=lang in vocab.INDUSTRY_FIRST,
    )


def _latin_core(
    rng: np.random.Generator, t: _LatinTables, sector: IntArray, weights: npt.NDArray[np.float64]
) -> pl.Series:
    """Names without legal form, from seven patterns (family name, brand, place, industry)."""
    n = sector.size
    pattern = rng.choice(weights.size, size=n, p=weights)
    n_sur = t.surnames.len()
    s1 = rng.integers(0, n_sur, n)
    s2 = (s1 + rng.integers(1, n_sur, n)) % n_sur
    df = pl.DataFrame(
        {
            "p": pattern,
            "s1": t.surnames.gather(s1),
            "s2": t.surnames.gather(s2),
            "b": _VOCAB.brands.gather(rng.integers(0, _VOCAB.brands.len(), n)),
            "i": t.industry.gather(_pick(rng, t.industry_start[sector], t.industry_count[sector])),
            "pl": t.places.gather(rng.integers(0, t.places.len(), n)),
        }
    )

    def pair(a: str, b: str) -> pl.Expr:
        first, second = (b, a) if t.industry_first else (a, b)
        return pl.concat_str([pl.col(first), pl.col(second)], separator=" ")

    p = pl.col("p")
    core = (
        pl.when(p == 0)
        .then(pair("s1", "i"))
        .when(p == 1)
        .then(pl.concat_str([pl.col("s1"), pl.lit("&"), pl.col("s2")], separator=" "))
        .when(p == 2)
        .then(pair("b", "i"))
        .when(p == 3)
        .then(pl.col("b"))
        .when(p == 4)
        .then(pair("pl", "i"))
        .when(p == 5)
        .then(pl.concat_str([pair("s1", "i"), pl.col("pl")], separator=" "))
        .otherwise(pl.concat_str([pair("b", "i"), pl.col("pl")], separator=" "))
    )
    return df.select(core.alias("core"))["core"]


def _latin_forms(rng: np.random.Generator, t: _LatinTables, n: int) -> pl.Series:
    return t.forms.gather(rng.choice(t.forms.len(), size=n, p=t.form_weights))


def _unique(
    first: tuple[pl.Series, pl.Series, pl.Series],
    redraw: Callable[[IntArray], tuple[pl.Series, pl.Series, pl.Series]],
) -> tuple[pl.Series, pl.Series, pl.Series]:
    """Redraw rows whose name repeats an earlier row, a bounded number of rounds."""
    name, latin, core = first
    for _ in range(_REDRAW_ROUNDS):
        dup = (name.is_duplicated() & ~name.is_first_distinct()).to_numpy()
        rows = np.flatnonzero(dup).astype(np.int64)
        if rows.size == 0:
            break
        new_name, new_latin, new_core = redraw(rows)
        name = name.scatter(rows, new_name)
        latin = latin.scatter(rows, new_latin)
        core = core.scatter(rows, new_core)
    return name, latin, core


def company_names(
    rng: np.random.Generator, *, country: IntArray, sector: IntArray, cn_city: IntArray
) -> Names:
    """Names for every company; ``cn_city`` gives Chinese companies' city (ignored elsewhere)."""
    n = country.size
    name = pl.Series("name", [None] * n, dtype=pl.String)
    latin = pl.Series("name_latin", [None] * n, dtype=pl.String)
    core = pl.Series("core", [None] * n, dtype=pl.String)
    for c, _profile in enumerate(COUNTRIES):
        rows = np.flatnonzero(country == c).astype(np.int64)
        if rows.size == 0:
            continue
        sec = sector[rows]
        if c == 0:
            city = cn_city[rows]

            def cn_redraw(
                sub: IntArray, city: IntArray = city, sec: IntArray = sec
            ) -> tuple[pl.Series, pl.Series, pl.Series]:
                return _chinese_text(_chinese_parts(rng, city[sub], sec[sub], three_chars=True))

            parts = _chinese_text(_chinese_parts(rng, city, sec, three_chars=False))
            got = _unique(parts, cn_redraw)
        else:
            tables = _latin_tables(c)

            def latin_draw(
                sub: IntArray,
                tables: _LatinTables = tables,
                sec: IntArray = sec,
                weights: npt.NDArray[np.float64] = _REDRAW_WEIGHTS,
            ) -> tuple[pl.Series, pl.Series, pl.Series]:
                base = _latin_core(rng, tables, sec[sub], weights)
                full = base + " " + _latin_forms(rng, tables, sub.size)
                return full, pl.Series([None] * sub.size, dtype=pl.String), base

            everyone = np.arange(rows.size, dtype=np.int64)
            got = _unique(latin_draw(everyone, weights=_PATTERN_WEIGHTS), latin_draw)
        name = name.scatter(rows, got[0])
        latin = latin.scatter(rows, got[1])
        core = core.scatter(rows, got[2])
    name, latin, core = _twins(
        rng, country=country, cn_city=cn_city, name=name, latin=latin, core=core
    )
    return Names(name=name, name_latin=latin, core_latin=core)


def _twins(
    rng: np.random.Generator,
    *,
    country: IntArray,
    cn_city: IntArray,
    name: pl.Series,
    latin: pl.Series,
    core: pl.Series,
) -> tuple[pl.Series, pl.Series, pl.Series]:
    """Deliberate near-duplicates: a few companies take another company's name core."""
    n = country.size
    # Abroad: another country's company name with the local legal form ("Weber Logistik Ltd").
    targets = np.flatnonzero((country != 0) & (rng.random(n) < CROSS_COUNTRY_TWIN_SHARE))
    sources = rng.integers(0, n, targets.size)
    keep = country[sources] != country[targets]
    targets, sources = targets[keep].astype(np.int64), sources[keep].astype(np.int64)
    if targets.size:
        frame = pl.DataFrame(
            {"src": core.gather(sources), "old": core.gather(targets), "name": name.gather(targets)}
        ).select(
            pl.col("src"),
            (pl.col("src") + pl.col("name").str.slice(pl.col("old").str.len_chars())).alias("new"),
        )
        name = name.scatter(targets, frame["new"])
        core = core.scatter(targets, frame["src"])
    # In China: the same trade name and industry in another city (深圳华泰电子 / 东莞华泰电子).
    cn_rows = np.flatnonzero(country == 0)
    if cn_rows.size > 1:
        pick = cn_rows[rng.random(cn_rows.size) < CHINESE_TWIN_SHARE].astype(np.int64)
        src = cn_rows[rng.integers(0, cn_rows.size, pick.size)].astype(np.int64)
        keep = cn_city[src] != cn_city[pick]
        pick, src = pick[keep], src[keep]
        if pick.size:
            shi = pl.Series(np.where(rng.random(pick.size) < 0.5, "市", ""))
            frame = pl.DataFrame(
                {
                    "name": name.gather(src),
                    "core": core.gather(src),
                    "src_zh": _VOCAB.cities_zh.gather(cn_city[src]),
                    "src_py": _VOCAB.cities_py.gather(cn_city[src]),
                    "zh": _VOCAB.cities_zh.gather(cn_city[pick]),
                    "py": _VOCAB.cities_py.gather(cn_city[pick]),
                    "shi": shi,
                }
            )
            rest = pl.col("name").str.slice(pl.col("src_zh").str.len_chars())
            body_zh = pl.when(rest.str.starts_with("市")).then(rest.str.slice(1)).otherwise(rest)
            body_py = pl.col("core").str.slice(pl.col("src_py").str.len_chars() + 1)
            out = frame.select(
                pl.concat_str([pl.col("zh"), pl.col("shi"), body_zh]).alias("name"),
                pl.concat_str([pl.col("py"), body_py], separator=" ").alias("core"),
            )
            name = name.scatter(pick, out["name"])
            core = core.scatter(pick, out["core"])
            latin = latin.scatter(pick, out["core"] + " Co., Ltd.")
    return name, latin, core


def sector_codes(rng: np.random.Generator, sector: IntArray) -> pl.Series:
    """A NACE Rev. 2 class (``C25.11``) for each company's sector group."""
    flat = [code for group in SECTORS for code in group.nace]
    starts = np.cumsum([0] + [len(g.nace) for g in SECTORS[:-1]]).astype(np.int64)
    counts = np.array([len(g.nace) for g in SECTORS], dtype=np.int64)
    return pl.Series(flat).gather(_pick(rng, starts[sector], counts[sector]))
