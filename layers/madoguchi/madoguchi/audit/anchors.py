"""Write-once anchors of the audit hash chain, stored in an S3 bucket with Object Lock.

Each history entry gets the object ``anchors/<reference>/<index, 6 digits>.json``
with the entry's chain hash, computed from the record that DynamoDB returned right
after the atomic append. The bucket keeps every object version in COMPLIANCE mode
(template parameter AuditAnchorRetentionYears), so an edit of the stored history
shows as an entry whose recomputed hash differs from its anchor, even when no
earlier export exists. S3 records when each anchor was written (LastModified).

An S3 error while writing an anchor does not fail the transition. It is logged, and
verification reports the entry as not anchored.
"""

from __future__ import annotations

import json
import time
from enum import Enum
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from madoguchi import aws
from madoguchi.applications.models import ApplicationRecord
from madoguchi.audit.chain import audit_entries, build_chain, canonical_json
from madoguchi.settings import get_settings

ANCHOR_FORMAT = "madoguchi-audit-anchor/1"
ANCHOR_ROOT = "anchors/"
# S3 returns 409 ConditionalRequestConflict while another conditional write of the
# same key is in flight, and a retry then gets that write's result.
_CONFLICT_ATTEMPTS = 3

logger = Logger(child=True)
_unconfigured_logged = False


class AnchorWrite(Enum):
    """Outcome of storing one anchor."""

    WRITTEN = "written"
    # An identical anchor was already stored, e.g. by a retried or concurrent writer.
    UNCHANGED = "unchanged"
    # A different anchor is stored under the key. It stays, and this one is dropped.
    CONFLICT = "conflict"


class _AnchorExists(Exception):
    """An object already exists under the anchor's key."""


def anchor_prefix(reference_number: str) -> str:
    return f"{ANCHOR_ROOT}{reference_number}/"


def anchor_key(reference_number: str, index: int) -> str:
    return f"{anchor_prefix(reference_number)}{index:06d}.json"


def anchor_document(reference_number: str, link: dict[str, Any]) -> dict[str, Any]:
    """Build the anchor of one chain link (an item of ``build_chain``).

    The content depends on the entry only, so every writer of the same entry stores
    the same bytes.
    """
    return {
        "format": ANCHOR_FORMAT,
        "reference_number": reference_number,
        "index": link["index"],
        "hash": link["hash"],
        "previous_hash": link["previous_hash"],
        "entry_at": link["entry"]["at"],
    }


def put_anchor(bucket: str, document: dict[str, Any]) -> AnchorWrite:
    """Store an anchor unless its key exists (``If-None-Match: *``); never replaces an object.

    Raises:
        botocore.exceptions.ClientError: S3 rejected the write or the read-back.
    """
    key = anchor_key(document["reference_number"], document["index"])
    try:
        _put_if_absent(bucket, key, canonical_json(document))
    except _AnchorExists:
        stored = aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        try:
            same = json.loads(stored) == document
        except ValueError:
            same = False
        return AnchorWrite.UNCHANGED if same else AnchorWrite.CONFLICT
    return AnchorWrite.WRITTEN


def _put_if_absent(bucket: str, key: str, body: bytes) -> None:
    s3 = aws.client("s3")
    for attempt in range(1, _CONFLICT_ATTEMPTS + 1):
        try:
            s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=body,
                ContentType="application/json",
                IfNoneMatch="*",
                # Object Lock buckets reject uploads without an integrity checksum.
                ChecksumAlgorithm="SHA256",
            )
            return
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code == "PreconditionFailed":
                raise _AnchorExists(key) from exc
            if code != "ConditionalRequestConflict" or attempt == _CONFLICT_ATTEMPTS:
                raise
        time.sleep(0.05 * attempt)


def anchor_entries(record: ApplicationRecord, first_index: int) -> None:
    """Write the anchors of ``record``'s history entries from ``first_index`` on.

    S3 errors are logged and not raised, because the transition is already committed:
    a failed write only leaves a gap, which verification reports as "not anchored".

    ``record`` must be the item as stored right after the append (``ReturnValues=
    ALL_NEW`` of the same update), so that the entry at ``first_index`` is the one
    this writer appended, even while other writers append to the same history.
    """
    bucket = get_settings().audit_anchors_bucket
    if not bucket:
        _log_unconfigured()
        return
    chain = build_chain(audit_entries(record))
    for link in chain[first_index:]:
        ids = {"reference_number": record.reference_number, "index": link["index"]}
        try:
            outcome = put_anchor(bucket, anchor_document(record.reference_number, link))
        except (BotoCoreError, ClientError):
            logger.exception("audit anchor not written; the entry stays unanchored", extra=ids)
            continue
        if outcome is AnchorWrite.CONFLICT:
            # Another anchor for this index means a writer saw a different chain:
            # the stored history was edited, or anchors were written by someone else.
            logger.error(
                "audit anchor conflict: a different anchor is already stored for this entry",
                extra={**ids, "alarm": "audit_anchor_conflict"},
            )


def _log_unconfigured() -> None:
    global _unconfigured_logged
    if not _unconfigured_logged:
        logger.warning("AUDIT_ANCHORS_BUCKET is not set; history entries are not anchored")
        _unconfigured_logged = True
