"""Compare an audit export with the write-once anchors of its application.

The anchor of an entry is the first version stored under its key, because that is
the version Object Lock protects. A later version or a delete marker under the key
means that someone wrote without ``If-None-Match``. Such a key is reported as
overwritten, and its first version is still the one compared.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from madoguchi import aws
from madoguchi.applications.models import ApplicationRecord
from madoguchi.audit.anchors import anchor_prefix
from madoguchi.audit.chain import audit_export
from madoguchi.settings import get_settings

_ANCHOR_NAME = re.compile(r"(\d{6,})\.json")

logger = Logger(child=True)


@dataclass(frozen=True)
class StoredAnchors:
    """Anchors of one application by entry index; ``None`` marks an unreadable anchor."""

    documents: dict[int, dict[str, Any] | None]
    # Indices whose key also has a later version or a delete marker.
    overwritten: frozenset[int] = field(default_factory=frozenset)


def read_bucket_anchors(bucket: str, reference_number: str) -> StoredAnchors:
    """Read the first version of every anchor of an application from S3.

    Raises:
        botocore.exceptions.ClientError: listing or reading failed (e.g. access denied).
    """
    s3 = aws.client("s3")
    prefix = anchor_prefix(reference_number)
    versions: dict[int, list[tuple[Any, int, str, str]]] = {}
    overwritten: set[int] = set()
    position = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        for marker in page.get("DeleteMarkers", []):
            index = _index_of(marker["Key"][len(prefix):])
            if index is not None:
                overwritten.add(index)
        for version in page.get("Versions", []):
            index = _index_of(version["Key"][len(prefix):])
            if index is None:
                continue
            # S3 lists the versions of a key newest first, so among versions with the
            # same LastModified the one listed last is the oldest.
            versions.setdefault(index, []).append(
                (version["LastModified"], -position, version["VersionId"], version["Key"])
            )
            position += 1

    documents: dict[int, dict[str, Any] | None] = {}
    for index, candidates in versions.items():
        if len(candidates) > 1:
            overwritten.add(index)
        _, _, version_id, key = min(candidates)
        body = s3.get_object(Bucket=bucket, Key=key, VersionId=version_id)["Body"]
        documents[index] = _parse(body.read())
    return StoredAnchors(documents, frozenset(overwritten))


def read_directory_anchors(directory: Path, reference_number: str) -> StoredAnchors:
    """Read anchors downloaded into ``directory``.

    ``directory`` contains the files ``000000.json``… of one application (a copy of
    ``s3://BUCKET/anchors/<reference>/``), or a copy of the bucket, where they are
    under ``anchors/<reference>/``. A plain copy has current versions only, so an
    overwritten anchor cannot be detected from it.

    Raises:
        OSError: the directory or a file cannot be read.
    """
    nested = directory / anchor_prefix(reference_number)
    folder = nested if nested.is_dir() else directory
    documents: dict[int, dict[str, Any] | None] = {}
    for path in sorted(folder.iterdir()):
        index = _index_of(path.name)
        if index is not None and path.is_file():
            documents[index] = _parse(path.read_bytes())
    return StoredAnchors(documents)


def _index_of(name: str) -> int | None:
    match = _ANCHOR_NAME.fullmatch(name)
    return int(match.group(1)) if match else None


def _parse(body: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


@dataclass(frozen=True)
class AnchorCheck:
    """Entry indices of an export sorted by how they compare with the stored anchors."""

    matched: tuple[int, ...] = ()
    # The entry's hash differs from its anchor's, or the anchor is unreadable.
    mismatched: tuple[int, ...] = ()
    not_anchored: tuple[int, ...] = ()
    # Anchors whose entry is not in the export: the entry was removed from the record.
    missing_from_record: tuple[int, ...] = ()
    overwritten: tuple[int, ...] = ()

    @property
    def valid(self) -> bool:
        return not (self.mismatched or self.not_anchored or self.missing_from_record or self.overwritten)

    def first_problem(self) -> tuple[int, str] | None:
        """Return the lowest index with a problem and the problem in words."""
        problems = [
            *((index, "hash differs from its anchor") for index in self.mismatched),
            *((index, "not anchored") for index in self.not_anchored),
            *((index, "anchored, but missing from the export (removed from the record)")
              for index in self.missing_from_record),
            *((index, "its anchor was overwritten or deleted after it was written")
              for index in self.overwritten),
        ]
        return min(problems, key=lambda problem: problem[0], default=None)

    def as_document(self) -> dict[str, Any]:
        """Return the ``anchors`` field of the export document."""
        problem = self.first_problem()
        return {
            "verified": self.valid,
            "matched": list(self.matched),
            "mismatched": list(self.mismatched),
            "not_anchored": list(self.not_anchored),
            "missing_from_record": list(self.missing_from_record),
            "overwritten": list(self.overwritten),
            "first_problem": {"index": problem[0], "reason": problem[1]} if problem else None,
        }


def check_anchors(document: dict[str, Any], stored: StoredAnchors) -> AnchorCheck:
    """Compare each entry of an export with its anchor; the hash covers every earlier entry."""
    entries = document.get("entries") or []
    reference_number = document.get("reference_number")
    matched, mismatched, not_anchored = [], [], []
    for index, item in enumerate(entries):
        if index not in stored.documents:
            not_anchored.append(index)
            continue
        anchor = stored.documents[index]
        if (
            anchor is not None
            and anchor.get("reference_number") == reference_number
            and anchor.get("index") == index
            and anchor.get("hash") == item.get("hash")
            and anchor.get("previous_hash") == item.get("previous_hash")
        ):
            matched.append(index)
        else:
            mismatched.append(index)
    return AnchorCheck(
        matched=tuple(matched),
        mismatched=tuple(mismatched),
        not_anchored=tuple(not_anchored),
        missing_from_record=tuple(sorted(i for i in stored.documents if i >= len(entries))),
        overwritten=tuple(sorted(stored.overwritten)),
    )


def anchored_audit_export(record: ApplicationRecord) -> dict[str, Any]:
    """Return the audit export with an ``anchors`` field comparing it with the stored anchors.

    When the anchors cannot be read, the field contains the error and ``verified``
    is false, but the export itself is still returned.
    """
    document = audit_export(record)
    bucket = get_settings().audit_anchors_bucket
    ids = {"reference_number": record.reference_number}
    if not bucket:
        document["anchors"] = {"verified": False, "error": "AUDIT_ANCHORS_BUCKET is not set"}
        return document
    try:
        stored = read_bucket_anchors(bucket, record.reference_number)
    except (BotoCoreError, ClientError):
        logger.exception("audit anchors could not be read", extra=ids)
        document["anchors"] = {"verified": False, "error": "the anchors could not be read"}
        return document

    check = check_anchors(document, stored)
    document["anchors"] = check.as_document()
    if not check.valid:
        index, reason = check.first_problem()
        logger.warning("audit trail does not match its anchors", extra={**ids, "index": index, "reason": reason})
    return document
