"""Reference numbers (受付番号) and the applicant's access token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

# Crockford's base32 alphabet: no I, L, O or U, so a number read out on the phone
# cannot be confused.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference_number(now: datetime) -> str:
    """Return a number such as ``2026-7K2Q-9XM4``: the year and 40 random bits."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"{now.year}-{chars[:4]}-{chars[4:]}"


def normalize_reference_number(text: str) -> str:
    """Accept lower case, full-width characters and O/I/L typed for 0/1/1."""
    import unicodedata

    cleaned = unicodedata.normalize("NFKC", text).strip().upper()
    cleaned = cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    return "".join(c if c in _ALPHABET else "-" for c in cleaned)


def access_token(secret: str, reference_number: str) -> str:
    """Derive the applicant's bearer token from the reference number.

    The token is an HMAC, so it is never stored and an idempotent replay can return
    it again. NOTE: rotating the signing secret invalidates every issued token;
    rotation needs a list of previous secrets before it can be offered.
    """
    digest = hmac.new(
        secret.encode(), f"access-token:{reference_number}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def verify_access_token(secret: str, reference_number: str, token: str) -> bool:
    return hmac.compare_digest(access_token(secret, reference_number), token)
