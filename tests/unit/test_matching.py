"""Name folding and match scoring: worked figures and invariants."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arshield.buyers.domain import search_key
from arshield.buyers.matching import (
    MatchReason,
    NameForms,
    chinese_core,
    cjk_pairs,
    name_similarity,
    score_candidate,
    text_similarity,
    word_prefixes,
)
from arshield.buyers.repository import escape_like

HUAWEI = NameForms.of("华为技术有限公司", "Huawei Technologies Co., Ltd.")
HUAWEI_DEVICE = NameForms.of("华为终端有限公司", "Huawei Device Co., Ltd.")
ZHONGHUA = NameForms.of("中华威电器有限公司")
TENCENT = NameForms.of("腾讯科技(深圳)有限公司", "Tencent Technology (Shenzhen) Co., Ltd.")
NL_HUAWEI = NameForms.of("Huawei Technologies B.V.")


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("华为技术有限公司", "hua wei ji shu"),
        ("比亚迪股份有限公司", "bi ya di"),
        ("腾讯科技（深圳）有限公司", "teng xun ke ji shen zhen"),
        ("Huawei Technologies Co., Ltd.", "huawei technologies"),
        ("Büro Müller GmbH", "buro muller"),
        ("Société Générale S.A.", "societe generale"),
        ("Ferrari S.p.A.", "ferrari"),
        ("A.B.C. Trading B.V.", "abc trading"),
        ("STRASSE Logistik AG", "strasse logistik"),
        ("Straße Logistik AG", "strasse logistik"),
    ],
)
def test_search_key_folds_case_accents_legal_forms_and_chinese(name: str, key: str) -> None:
    assert search_key(name) == key


def test_chinese_core_keeps_only_distinctive_characters() -> None:
    assert chinese_core("腾讯科技（深圳）有限公司") == "腾讯科技深圳"
    assert chinese_core("比亚迪股份有限公司") == "比亚迪"
    assert chinese_core("Huawei Technologies") == ""


def test_text_similarity_treats_pinyin_together_and_apart_as_the_same_name() -> None:
    assert text_similarity("huawei jishu", "hua wei ji shu") == 100.0
    assert text_similarity("technologies huawei", "huawei technologies") == 100.0
    assert text_similarity("huawai technolgies", "huawei technologies") > 90.0
    assert text_similarity("", "huawei") == 0.0


def test_chinese_fragment_and_latin_name_find_huawei() -> None:
    assert name_similarity(NameForms.of("华为技术"), HUAWEI) == 100.0
    assert name_similarity(NameForms.of("华为技术有限公司"), HUAWEI) == 100.0
    assert name_similarity(NameForms.of("Huawei Technologies Co., Ltd."), HUAWEI) == 100.0
    assert name_similarity(NameForms.of("HUAWEI TECHNOLOGIES LIMITED"), HUAWEI) == 100.0


def test_one_shared_pinyin_syllable_is_not_a_near_match() -> None:
    # hua wei ji shu / teng xun ke ji shen zhen share only "ji".
    assert name_similarity(NameForms.of("华为技术有限公司"), TENCENT) < 60.0


def test_homophones_count_less_than_the_same_characters() -> None:
    query = NameForms.of("华为")
    same_characters = name_similarity(query, HUAWEI_DEVICE)  # 华为 inside 华为终端
    homophone = name_similarity(query, ZHONGHUA)  # zhong hua wei: same sound, 华威 not 华为
    assert same_characters == pytest.approx(90.0)
    assert homophone <= 80.0
    assert homophone < same_characters


def test_worked_scores() -> None:
    query = NameForms.of("Huawei Technologies Co., Ltd.")

    def score(
        candidate: NameForms, country: str | None, cc: str, **kw: bool
    ) -> tuple[int, set[str]]:
        scored = score_candidate(
            query=query, candidate=candidate, query_country=country, candidate_country=cc, **kw
        )
        assert scored is not None
        return scored.score, {r.value for r in scored.reasons}

    # 0.9 x 100 = 90; +5 same country; -25 another country; -30 conflicting identifier.
    assert score(HUAWEI, "CN", "CN") == (95, {"name_exact", "country_match"})
    assert score(HUAWEI, None, "CN") == (90, {"name_exact"})
    assert score(NL_HUAWEI, "CN", "NL") == (65, {"name_exact", "country_mismatch"})
    assert score(HUAWEI, "CN", "CN", identifier_conflict=True) == (
        65,
        {"identifier_conflict", "name_exact", "country_match"},
    )
    assert score(TENCENT, None, "CN", identifier_exact=True) == (100, {"identifier_exact"})
    assert score(TENCENT, "DE", "CN", identifier_exact=True)[0] == 100


def test_unrelated_name_without_identifier_is_dropped() -> None:
    scored = score_candidate(
        query=NameForms.of("Büro Müller GmbH"),
        candidate=TENCENT,
        query_country=None,
        candidate_country="CN",
    )
    assert scored is None


def test_prefilter_terms() -> None:
    assert word_prefixes("huawei technologies deutschland") == ["tec", "deu", "hua"]
    assert word_prefixes("hua wei ji shu") == ["hua", "shu", "wei", "ji"]
    assert len(word_prefixes(" ".join(f"w{i:02d}x" for i in range(20)))) == 8
    assert cjk_pairs("华为技术有限公司") == ["华为", "为技", "技术"]
    assert cjk_pairs("比亚迪") == ["比亚", "亚迪"]
    assert cjk_pairs("Huawei") == []


def test_like_wildcards_are_escaped() -> None:
    assert escape_like("50%_a\\b") == "50\\%\\_a\\\\b"


NAMES = st.text(
    alphabet=st.sampled_from(
        list("abcdefghijklmnopqrstuvwxyzABCDEÉÜßçö .,-&()（）")
        + list("华为技术有限公司腾讯科比亚迪中威深圳股份")
    ),
    max_size=30,
)


@given(NAMES)
def test_search_key_is_idempotent(name: str) -> None:
    key = search_key(name)
    assert search_key(key) == key
    assert key == key.strip()
    assert "  " not in key


@given(NAMES, NAMES, st.sampled_from(["CN", "DE", None]), st.booleans(), st.booleans())
def test_scores_stay_in_range_and_identifier_ranks_first(
    query: str, name: str, country: str | None, exact: bool, conflict: bool
) -> None:
    kwargs = {
        "query": NameForms.of(query),
        "candidate": NameForms.of(name),
        "candidate_country": "CN",
    }
    scored = score_candidate(
        **kwargs, query_country=country, identifier_exact=exact, identifier_conflict=conflict
    )
    if exact:
        assert scored is not None
        assert scored.score == 100
        assert MatchReason.IDENTIFIER_EXACT in scored.reasons
    elif scored is not None:
        assert 0 <= scored.score <= 99
    if not exact and scored is not None:
        plain = score_candidate(**kwargs, query_country=None, identifier_conflict=conflict)
        same = score_candidate(**kwargs, query_country="CN", identifier_conflict=conflict)
        other = score_candidate(**kwargs, query_country="DE", identifier_conflict=conflict)
        assert plain is not None
        assert same is not None
        assert other is not None
        assert same.score >= plain.score >= other.score
