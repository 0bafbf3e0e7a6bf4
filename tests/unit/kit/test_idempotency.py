"""Idempotency keys' pure parts: which keys are accepted, and what decides a fingerprint."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arshield.api.idempotency import _canonical
from arshield.kit.idempotency import (
    MAX_KEY_LENGTH,
    InvalidIdempotencyKey,
    check_key,
    fingerprint,
)

PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
VISIBLE = st.characters(min_codepoint=0x21, max_codepoint=0x7E)

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(
    st.builds(
        lambda first, middle, last: first + middle + last,
        VISIBLE,
        st.text(PRINTABLE, max_size=MAX_KEY_LENGTH - 2),
        VISIBLE,
    )
    | VISIBLE
)
def test_printable_ascii_keys_up_to_255_are_accepted(key: str) -> None:
    assert check_key(key) == key


@pytest.mark.parametrize(
    "key",
    [
        "",
        " leading",
        "trailing ",
        "x" * (MAX_KEY_LENGTH + 1),
        "clé",
        "tab\there",
        "line\nbreak",
        "\x7f",
        "全角",
    ],
)
def test_other_keys_are_refused_with_a_clear_error(key: str) -> None:
    with pytest.raises(InvalidIdempotencyKey) as caught:
        check_key(key)
    assert caught.value.status_code == 422
    assert "1-255 printable ASCII" in str(caught.value.detail)


def test_a_255_character_key_is_the_longest() -> None:
    assert check_key("k" * MAX_KEY_LENGTH)


@given(st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=6), st.randoms())
def test_key_order_and_spacing_do_not_change_a_fingerprint(body: dict[str, Any], rnd: Any) -> None:
    items = list(body.items())
    rnd.shuffle(items)
    compact = json.dumps(dict(items), separators=(",", ":")).encode()
    spaced = json.dumps(body, indent=3).encode()
    same = [
        fingerprint(method="post", path="/p", query=[], body=_canonical(raw))
        for raw in (compact, spaced)
    ]
    assert same[0] == same[1]
    assert same[0] == fingerprint(method="POST", path="/p", query=[], body=_canonical(body))


@given(JSON_VALUES, JSON_VALUES)
def test_different_bodies_have_different_fingerprints(left: Any, right: Any) -> None:
    same = fingerprint(method="POST", path="/p", body=left) == fingerprint(
        method="POST", path="/p", body=right
    )
    assert same == (json.dumps(left, sort_keys=True) == json.dumps(right, sort_keys=True))


def test_method_path_and_query_are_part_of_the_fingerprint() -> None:
    base = fingerprint(method="POST", path="/api/v1/payments/1/allocations", query=[], body={})
    assert base != fingerprint(method="PUT", path="/api/v1/payments/1/allocations", body={})
    assert base != fingerprint(method="POST", path="/api/v1/payments/2/allocations", body={})
    assert base != fingerprint(
        method="POST", path="/api/v1/payments/1/allocations", query=[["on", "x"]], body={}
    )


def test_numbers_in_raw_json_keep_their_digits() -> None:
    # 500.5 and 500.50 are the same float but not the same text; the amount as sent decides.
    assert _canonical(b'{"amount": 500.5}') != _canonical(b'{"amount": 500.50}')
    assert _canonical(b'{"amount": 500.5}') != _canonical(b'{"amount": "500.5"}')
    assert _canonical(b"{not json") == _canonical(b"{not json")
    assert _canonical(b"{not json") != _canonical(b"{not json ")
