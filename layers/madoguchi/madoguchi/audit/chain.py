"""Hash chain over an application's history.

Entry ``i`` stores ``hash_i = SHA-256(canonical JSON of {"index": i, "entry": …,
"previous_hash": hash_(i-1)})``, with 64 zeros before the first entry. Canonical JSON
is UTF-8 with sorted keys, no spaces and no ASCII escaping, so any tool can recompute
it. Changing, inserting, deleting or reordering an entry breaks every hash after it.

A chain alone proves only that an export was not edited after it was made. An edit
of the DynamoDB record before an export shows against the write-once anchors that
``audit.anchors`` stores when each entry is appended (``verify --anchors``), or
against an earlier export (``verify --previous``).

NOTE: an entry whose anchor write failed (logged, reported as "not anchored") is
covered only by the anchors of later entries, whose hashes include it. An edit of
it goes unnoticed by the anchors while no later entry is anchored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from madoguchi.applications.models import ApplicationRecord

GENESIS_HASH = "0" * 64
FORMAT = "madoguchi-audit/1"


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def entry_hash(index: int, entry: dict[str, Any], previous_hash: str) -> str:
    payload = {"index": index, "entry": entry, "previous_hash": previous_hash}
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def audit_entries(record: ApplicationRecord) -> list[dict[str, Any]]:
    """Return the history entries with the answers version each one refers to.

    Entries written before the version was recorded get the version in force at
    their time: 1 from submission, ``n`` after the resubmission that stored ``n``.
    """
    entries = []
    version = 1
    for history_entry in record.history:
        entry = history_entry.model_dump(mode="json", exclude_none=True)
        version = entry.get("answers_version", version)
        entry["answers_version"] = version
        entries.append(entry)
    return entries


def build_chain(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Link entries: each gets its index, the previous entry's hash and its own hash."""
    chain = []
    previous = GENESIS_HASH
    for index, entry in enumerate(entries):
        current = entry_hash(index, entry, previous)
        chain.append({"index": index, "entry": entry, "previous_hash": previous, "hash": current})
        previous = current
    return chain


def audit_export(record: ApplicationRecord, now: datetime | None = None) -> dict[str, Any]:
    """Return the export document of one application's audit trail."""
    chain = build_chain(audit_entries(record))
    return {
        "format": FORMAT,
        "reference_number": record.reference_number,
        "procedure_id": record.procedure_id,
        "status": record.status.value,
        "exported_at": (now or datetime.now(UTC)).isoformat(),
        "algorithm": "sha256",
        "entries": chain,
        "head": chain[-1]["hash"] if chain else GENESIS_HASH,
    }


@dataclass(frozen=True)
class ChainVerification:
    """Result of a chain check.

    ``broken_index`` is the first entry that fails. It is None when the problem is not
    in one entry, such as a file that is not an export or a wrong head.
    """

    valid: bool
    entries: int
    broken_index: int | None = None
    reason: str = ""


def verify_chain(document: dict[str, Any], previous: dict[str, Any] | None = None) -> ChainVerification:
    """Recompute every hash of an export and name the first entry that does not match.

    With ``previous`` (an earlier export of the same application), its entries must
    be an unchanged prefix of this one, which detects an edit of the stored record
    between the two exports.
    """
    if not isinstance(document, dict):
        return ChainVerification(False, 0, None, "the file is not an audit export (expected a JSON object)")
    entries = document.get("entries")
    if not isinstance(entries, list):
        return ChainVerification(False, 0, None, "the document has no 'entries' list")

    expected_previous = GENESIS_HASH
    for position, item in enumerate(entries):
        if not isinstance(item, dict) or item.get("index") != position:
            return ChainVerification(False, len(entries), position, "index missing or out of order")
        if item.get("previous_hash") != expected_previous:
            return ChainVerification(False, len(entries), position, "previous_hash does not match the entry before")
        if entry_hash(position, item.get("entry"), expected_previous) != item.get("hash"):
            return ChainVerification(False, len(entries), position, "hash does not match the entry's content")
        expected_previous = item["hash"]

    if document.get("head") != expected_previous:
        return ChainVerification(False, len(entries), None, "'head' does not match the last entry's hash")
    if previous is not None:
        return _verify_prefix(document, previous)
    return ChainVerification(True, len(entries))


def _verify_prefix(document: dict[str, Any], previous: dict[str, Any]) -> ChainVerification:
    if not isinstance(previous, dict):
        return ChainVerification(False, len(document["entries"]), None, "the earlier file is not an audit export")
    earlier = previous.get("entries") or []
    entries = document["entries"]
    if previous.get("reference_number") != document.get("reference_number"):
        return ChainVerification(False, len(entries), 0, "the earlier export is of another application")
    for position, item in enumerate(earlier):
        if position >= len(entries) or entries[position]["hash"] != item.get("hash"):
            return ChainVerification(
                False, len(entries), position, "differs from the earlier export (entry changed or removed)"
            )
    return ChainVerification(True, len(entries))
