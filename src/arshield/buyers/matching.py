"""Scoring of buyer-match candidates. Pure code: no database, no web.

A candidate's score (0-100) is built from three pieces of evidence:

* **identifier**: the same registration identifier as asked for scores 100, whatever the name;
  a different identifier of the same type is evidence against (``identifier_conflict``, -30).
* **name**: the best similarity (0-100) of the query's name to the candidate's name or Latin
  name. Names are folded to search keys (case, accents and legal forms dropped, Chinese as
  pinyin) and compared with the maximum of rapidfuzz ``token_sort_ratio`` (word order),
  ``WRatio`` and a plain ``ratio``, the last two on the keys without spaces (so pinyin written
  together, "huawei jishu", meets pinyin written apart, "hua wei ji shu"). A Chinese query is
  compared with a Chinese name character by character ("华为技术" is "华为技术有限公司"), and its
  pinyin counts only at 80% (homophones such as 华为 / 中华威 are weak clues). 100 means the
  same name (``name_exact``); below ``MIN_NAME_SIMILARITY`` (60) the candidate is dropped. The
  name contributes 90% of its similarity to the score.
* **country**: when the query names a country, a match adds 5 (``country_match``) and a mismatch
  takes 25 off (``country_mismatch``).

Without an identifier match the score is capped at 99, so an identifier match always ranks first.
Worked figures: same name and country 95; same name, no country given 90; same name in another
country 65; same name but a different identifier of the asked type, same country 65.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz

from arshield.buyers.domain import CHINESE_LEGAL_FORMS, search_key

IDENTIFIER_SCORE = 100
MAX_NAME_SCORE = 99
NAME_WEIGHT = 0.9
COUNTRY_MATCH_BONUS = 5
COUNTRY_MISMATCH_PENALTY = 25
IDENTIFIER_CONFLICT_PENALTY = 30
MIN_NAME_SIMILARITY = 60.0
PINYIN_ONLY_WEIGHT = 0.8

# Prefilter: at most this many word prefixes / character pairs of the query go to SQL.
MAX_PREFIX_TERMS = 8
PREFIX_LENGTH = 3

_CJK = re.compile("[\u4e00-\u9fff]")


class MatchReason(enum.StrEnum):
    """Why a candidate was proposed."""

    IDENTIFIER_EXACT = "identifier_exact"
    IDENTIFIER_CONFLICT = "identifier_conflict"
    NAME_EXACT = "name_exact"
    NAME_FUZZY = "name_fuzzy"
    COUNTRY_MATCH = "country_match"
    COUNTRY_MISMATCH = "country_mismatch"


@dataclass(frozen=True, slots=True)
class Scored:
    """A candidate's score, its name similarity and the reasons behind them."""

    score: int
    similarity: float
    reasons: tuple[MatchReason, ...]


def compact(key: str) -> str:
    """A search key without spaces."""
    return key.replace(" ", "")


def chinese_core(name: str) -> str:
    """The Chinese characters of a name without its legal form ("腾讯科技(深圳)有限公司" ->
    "腾讯科技深圳"); empty for names without Chinese."""
    text = unicodedata.normalize("NFKC", name)
    for legal_form in CHINESE_LEGAL_FORMS:
        text = text.replace(legal_form, "")
    return "".join(_CJK.findall(text))


@dataclass(frozen=True, slots=True)
class NameForms:
    """The forms of a name that are compared: search keys and the Chinese characters."""

    keys: tuple[str, ...]
    chinese: str

    @classmethod
    def of(cls, *names: str | None) -> NameForms:
        """Forms of a company's names (e.g. its name and its Latin name)."""
        keys = tuple(dict.fromkeys(k for k in (search_key(n) for n in names if n) if k))
        chinese = next((c for c in (chinese_core(n) for n in names if n) if c), "")
        return cls(keys=keys, chinese=chinese)


def text_similarity(left: str, right: str) -> float:
    """Similarity 0-100 of two folded texts; 100 only when they are the same words."""
    if not left or not right:
        return 0.0
    if left == right or compact(left) == compact(right):
        return 100.0
    # WRatio runs on the texts without spaces: on spaced pinyin its token-set part would call
    # any two names sharing one syllable ("ji") a near match.
    return max(
        float(fuzz.token_sort_ratio(left, right)),
        float(fuzz.WRatio(compact(left), compact(right))),
        float(fuzz.ratio(compact(left), compact(right))),
    )


def name_similarity(query: NameForms, candidate: NameForms) -> float:
    """Best similarity 0-100 of a query's name to a candidate's names.

    Chinese against Chinese is compared as characters; the pinyin keys then count at
    ``PINYIN_ONLY_WEIGHT`` (a homophone is a weaker clue), as they do for a Chinese query against
    a company with only a Latin name.
    """
    by_key = max((text_similarity(q, c) for q in query.keys for c in candidate.keys), default=0.0)
    if query.chinese and candidate.chinese:
        return max(text_similarity(query.chinese, candidate.chinese), PINYIN_ONLY_WEIGHT * by_key)
    if query.chinese:
        return PINYIN_ONLY_WEIGHT * by_key
    return by_key


def score_candidate(
    *,
    query: NameForms,
    candidate: NameForms,
    query_country: str | None,
    candidate_country: str,
    identifier_exact: bool = False,
    identifier_conflict: bool = False,
) -> Scored | None:
    """Score one candidate; ``None`` when neither identifier nor name is close enough."""
    similarity = name_similarity(query, candidate)
    reasons: list[MatchReason] = []
    if identifier_exact:
        reasons.append(MatchReason.IDENTIFIER_EXACT)
    elif identifier_conflict:
        reasons.append(MatchReason.IDENTIFIER_CONFLICT)
    name_close = similarity >= MIN_NAME_SIMILARITY
    if similarity == 100.0:
        reasons.append(MatchReason.NAME_EXACT)
    elif name_close:
        reasons.append(MatchReason.NAME_FUZZY)
    if not identifier_exact and not name_close:
        return None
    adjustment = 0
    if query_country is not None:
        if query_country == candidate_country:
            reasons.append(MatchReason.COUNTRY_MATCH)
            adjustment += COUNTRY_MATCH_BONUS
        else:
            reasons.append(MatchReason.COUNTRY_MISMATCH)
            adjustment -= COUNTRY_MISMATCH_PENALTY
    if identifier_exact:
        return Scored(score=IDENTIFIER_SCORE, similarity=similarity, reasons=tuple(reasons))
    if identifier_conflict:
        adjustment -= IDENTIFIER_CONFLICT_PENALTY
    score = round(NAME_WEIGHT * similarity) + adjustment
    return Scored(
        score=max(0, min(MAX_NAME_SCORE, score)), similarity=similarity, reasons=tuple(reasons)
    )


def word_prefixes(key: str) -> list[str]:
    """Leading characters of the key's words, longest words first, for the SQL prefilter."""
    words = sorted(set(key.split()), key=lambda w: (-len(w), w))
    prefixes: list[str] = []
    for word in words:
        prefix = word[:PREFIX_LENGTH]
        if prefix not in prefixes:
            prefixes.append(prefix)
        if len(prefixes) == MAX_PREFIX_TERMS:
            break
    return prefixes


def cjk_pairs(name: str) -> list[str]:
    """Pairs of adjacent Chinese characters of ``name`` without its legal form (at most 8)."""
    for legal_form in CHINESE_LEGAL_FORMS:
        name = name.replace(legal_form, " ")
    pairs: list[str] = []
    for run in re.findall("[\u4e00-\u9fff]+", name):
        for i in range(max(1, len(run) - 1)):
            pair = run[i : i + 2]
            if pair not in pairs:
                pairs.append(pair)
            if len(pairs) == MAX_PREFIX_TERMS:
                return pairs
    return pairs


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds Chinese characters."""
    return _CJK.search(text) is not None
