"""File names: what is kept from a resident's name, and the Content-Disposition header."""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath
from urllib.parse import quote

_MAX_NAME_LENGTH = 200
_UNSAFE_IN_QUOTED = re.compile(r'[^\x20-\x7e]|["\\%]')


def clean_file_name(name: str) -> str:
    """Return the last path part of ``name`` in NFC without control characters.

    ``../../申請書 (1).pdf`` becomes ``申請書 (1).pdf``; an empty result becomes ``file``.
    """
    normalized = unicodedata.normalize("NFC", name).replace("\\", "/")
    last = normalized.rsplit("/", 1)[-1]
    printable = "".join(ch for ch in last if unicodedata.category(ch)[0] != "C").strip()
    if printable in ("", ".", ".."):
        return "file"
    if len(printable) > _MAX_NAME_LENGTH:
        suffix = PurePosixPath(printable).suffix[:10]
        printable = printable[: _MAX_NAME_LENGTH - len(suffix)] + suffix
    return printable


def with_extension(name: str, extension: str) -> str:
    """Return ``name`` with its extension replaced, e.g. ``写真.HEIC`` → ``写真.jpg``."""
    stem = PurePosixPath(name).stem if PurePosixPath(name).suffix else name
    return f"{stem}{extension}"


def attachment_disposition(file_name: str) -> str:
    """Return ``Content-Disposition: attachment`` with an ASCII fallback and the UTF-8 name.

    RFC 6266 section 4.3: ``filename`` carries an ASCII approximation for old clients,
    ``filename*`` (RFC 5987 ext-value) the exact name.
    """
    # Each run of characters that cannot be quoted becomes one "_", without leading ones,
    # so 調理師免許_2026-52F9-J5BY.pdf falls back to 2026-52F9-J5BY.pdf.
    fallback = re.sub("_+", "_", _UNSAFE_IN_QUOTED.sub("_", file_name)).lstrip("_ ")
    if not fallback or fallback.startswith("."):
        fallback = "file" + fallback
    encoded = quote(file_name, safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
