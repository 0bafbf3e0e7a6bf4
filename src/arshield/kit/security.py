"""API-key generation and hashing. Keys are shown once and stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_PREFIX = "ars_"


def new_api_key() -> str:
    """A fresh random key, ``ars_`` followed by 43 URL-safe characters (256 bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """Hex SHA-256 of the key (keys carry 256 bits of entropy, so no salt or stretching)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_lookup_prefix(key: str) -> str:
    """The first characters of a key, stored in clear to let an admin recognise it."""
    return key[: len(KEY_PREFIX) + 6]


def same_hash(left: str, right: str) -> bool:
    """Constant-time comparison of two hashes."""
    return hmac.compare_digest(left, right)
