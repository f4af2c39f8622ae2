"""Verification codes printed on notices: random and easy to type."""

from __future__ import annotations

import re
import secrets
import unicodedata

# Crockford's base32 alphabet, as for reference numbers: no I, L, O or U.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_GROUPS = 4
_GROUP_LENGTH = 4
CODE_PATTERN = re.compile(r"\b[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}\b")


def new_verification_code() -> str:
    """Return a code such as ``7K2Q-9XM4-H3PD-A0TW``: 16 characters, 80 random bits."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(_GROUPS * _GROUP_LENGTH))
    return "-".join(chars[i : i + _GROUP_LENGTH] for i in range(0, len(chars), _GROUP_LENGTH))


def normalize_verification_code(text: str) -> str | None:
    """Return the canonical code for typed text, or None when it cannot be one.

    Accepts lower case, full-width characters, missing or extra hyphens and spaces,
    and O/I/L typed for 0/1/1.
    """
    cleaned = unicodedata.normalize("NFKC", text).upper()
    cleaned = cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    chars = "".join(c for c in cleaned if c in _ALPHABET)
    if len(chars) != _GROUPS * _GROUP_LENGTH:
        return None
    return "-".join(chars[i : i + _GROUP_LENGTH] for i in range(0, len(chars), _GROUP_LENGTH))
