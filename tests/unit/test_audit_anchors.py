"""Write-once anchors of the audit chain: writing, comparing, and ``verify --anchors``.

Tests that touch S3 use the local stack's anchor bucket (Object Lock on) with reference
numbers of their own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from madoguchi.applications import repository
from madoguchi.applications.models import ApplicationRecord, HistoryEntry
from madoguchi.applications.status import ApplicationStatus
from madoguchi.audit import anchors
from madoguchi.audit.anchor_check import (
    StoredAnchors,
    check_anchors,
    read_bucket_anchors,
    read_directory_anchors,
)
from madoguchi.audit.anchors import (
    AnchorWrite,
    anchor_document,
    anchor_entries,
    anchor_key,
    put_anchor,
)
from madoguchi.audit.chain import audit_export, build_chain

START = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
EVENTS = [
    ("submitted", ApplicationStatus.SUBMITTED, "applicant", None),
    ("review_started", ApplicationStatus.UNDER_REVIEW, "workflow", None),
    ("returned", ApplicationStatus.RETURNED, "approver:environmental-health-staff", "番地を追記してください。"),
    ("resubmitted", ApplicationStatus.SUBMITTED, "applicant", None),
    ("review_started", ApplicationStatus.UNDER_REVIEW, "workflow", None),
    ("approved", ApplicationStatus.APPROVED, "approver:environmental-health-staff", None),
]


def new_reference() -> str:
    return f"2026-T{uuid.uuid4().hex[:3].upper()}-{uuid.uuid4().hex[:4].upper()}"


def make_record(reference_number: str, entries: int = len(EVENTS)) -> ApplicationRecord:
    history = [
        HistoryEntry(at=START + timedelta(minutes=index), event=event, status=status, actor=actor, comment=comment)
        for index, (event, status, actor, comment) in enumerate(EVENTS[:entries])
    ]
    return ApplicationRecord(
        reference_number=reference_number, procedure_id="cook-employment-notification", procedure_version=1,
        status=history[-1].status, locale="ja",
        answers_key=f"answers/cook-employment-notification/{reference_number}/v1.json",
        created_at=START, updated_at=START, history=history,
    )


def stored_from(record: ApplicationRecord) -> StoredAnchors:
    """Return the anchors that writing ``record`` entry by entry would have stored."""
    chain = audit_export(record)["entries"]
    return StoredAnchors({link["index"]: anchor_document(record.reference_number, link) for link in chain})


# --- comparing ---------------------------------------------------------------------------


def test_check_all_matched() -> None:
    record = make_record("2026-7K2Q-9XM4")

    check = check_anchors(audit_export(record), stored_from(record))

    assert check.valid
    assert check.matched == (0, 1, 2, 3, 4, 5)
    assert check.first_problem() is None


def test_check_names_edited_entry() -> None:
    record = make_record("2026-7K2Q-9XM4")
    stored = stored_from(record)
    record.history[2] = record.history[2].model_copy(update={"comment": "問題ありません。"})

    check = check_anchors(audit_export(record), stored)

    assert not check.valid
    assert check.matched == (0, 1)
    # Every later hash covers the edited entry.
    assert check.mismatched == (2, 3, 4, 5)
    assert check.first_problem() == (2, "hash differs from its anchor")


def test_check_missing_anchor() -> None:
    record = make_record("2026-7K2Q-9XM4")
    stored = stored_from(record)
    del stored.documents[3]

    check = check_anchors(audit_export(record), stored)

    assert check.not_anchored == (3,)
    assert check.matched == (0, 1, 2, 4, 5)
    assert check.first_problem() == (3, "not anchored")


def test_check_removed_entry() -> None:
    record = make_record("2026-7K2Q-9XM4")
    stored = stored_from(record)
    shortened = record.model_copy(update={"history": record.history[:4]})

    check = check_anchors(audit_export(shortened), stored)

    assert check.matched == (0, 1, 2, 3)
    assert check.missing_from_record == (4, 5)
    assert check.first_problem()[0] == 4
    assert "missing from the export" in check.first_problem()[1]


def test_check_overwritten_anchor() -> None:
    record = make_record("2026-7K2Q-9XM4")
    stored = stored_from(record)

    check = check_anchors(audit_export(record), StoredAnchors(stored.documents, frozenset({1})))

    assert check.matched == (0, 1, 2, 3, 4, 5)
    assert check.overwritten == (1,)
    assert not check.valid
    assert check.first_problem() == (1, "its anchor was overwritten or deleted after it was written")


@pytest.mark.parametrize(
    ("field", "value"),
    [("reference_number", "2026-AAAA-BBBB"), ("index", 5), ("hash", "0" * 64), ("previous_hash", "1" * 64)],
)
def test_check_wrong_anchor_field(field: str, value: object) -> None:
    record = make_record("2026-7K2Q-9XM4")
    stored = stored_from(record)
    stored.documents[2] = {**stored.documents[2], field: value}

    check = check_anchors(audit_export(record), stored)

    assert check.mismatched == (2,)


def test_check_unreadable_anchor() -> None:
    record = make_record("2026-7K2Q-9XM4")
    stored = stored_from(record)
    stored.documents[0] = None

    check = check_anchors(audit_export(record), stored)

    assert check.mismatched == (0,)


def test_check_document_field() -> None:
    record = make_record("2026-7K2Q-9XM4")
    stored = stored_from(record)
    del stored.documents[5]

    field = check_anchors(audit_export(record), stored).as_document()

    assert field == {
        "verified": False,
        "matched": [0, 1, 2, 3, 4],
        "mismatched": [],
        "not_anchored": [5],
        "missing_from_record": [],
        "overwritten": [],
        "first_problem": {"index": 5, "reason": "not anchored"},
    }


def test_anchor_document_fields() -> None:
    link = build_chain([{"at": "2026-04-01T09:00:00Z", "event": "submitted"}])[0]

    document = anchor_document("2026-7K2Q-9XM4", link)

    assert document == {
        "format": "madoguchi-audit-anchor/1",
        "reference_number": "2026-7K2Q-9XM4",
        "index": 0,
        "hash": link["hash"],
        "previous_hash": "0" * 64,
        "entry_at": "2026-04-01T09:00:00Z",
    }
    assert anchor_key("2026-7K2Q-9XM4", 12) == "anchors/2026-7K2Q-9XM4/000012.json"


# --- writing to the local stack ------------------------------------------------------------


@pytest.fixture
def bucket(local_stack: Any) -> str:
    return local_stack.resources["AuditAnchorsBucket"]


def s3() -> Any:
    return boto3.client("s3")


def versions_of(bucket: str, key: str) -> list[dict[str, Any]]:
    listed = s3().list_object_versions(Bucket=bucket, Prefix=key)
    return [version for version in listed.get("Versions", []) if version["Key"] == key]


def first_anchor(record: ApplicationRecord) -> dict[str, Any]:
    return anchor_document(record.reference_number, audit_export(record)["entries"][0])


def test_put_anchor_twice_unchanged(bucket: str) -> None:
    document = first_anchor(make_record(new_reference()))

    first = put_anchor(bucket, document)
    second = put_anchor(bucket, document)

    assert first is AnchorWrite.WRITTEN
    assert second is AnchorWrite.UNCHANGED
    assert len(versions_of(bucket, anchor_key(document["reference_number"], 0))) == 1


def test_put_anchor_concurrent_same_index(bucket: str) -> None:
    document = first_anchor(make_record(new_reference()))
    barrier = threading.Barrier(8)

    def write(_: int) -> AnchorWrite:
        barrier.wait()
        return put_anchor(bucket, document)

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(write, range(8)))
    stored = read_bucket_anchors(bucket, document["reference_number"])

    assert AnchorWrite.CONFLICT not in outcomes
    assert AnchorWrite.WRITTEN in outcomes
    assert stored.documents == {0: document}
    assert stored.overwritten == frozenset()


def test_put_anchor_conflict_keeps_first(bucket: str) -> None:
    document = first_anchor(make_record(new_reference()))
    forged = {**document, "hash": "f" * 64}
    put_anchor(bucket, document)

    outcome = put_anchor(bucket, forged)

    assert outcome is AnchorWrite.CONFLICT
    assert read_bucket_anchors(bucket, document["reference_number"]).documents == {0: document}


def test_anchor_entries_logs_conflict(bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    record = make_record(new_reference(), entries=2)
    edited = record.model_copy(deep=True)
    edited.history[1] = edited.history[1].model_copy(update={"actor": "someone-else"})
    errors: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(anchors.logger, "error", lambda message, extra: errors.append((message, extra)))
    anchor_entries(record, first_index=0)

    anchor_entries(edited, first_index=1)

    assert len(errors) == 1
    assert errors[0][1] == {"reference_number": record.reference_number, "index": 1, "alarm": "audit_anchor_conflict"}


def test_anchor_entries_survives_s3_error(monkeypatch: pytest.MonkeyPatch, local_stack: Any) -> None:
    settings = anchors.get_settings().model_copy(update={"audit_anchors_bucket": "madoguchi-no-such-bucket"})
    monkeypatch.setattr(anchors, "get_settings", lambda: settings)
    logged: list[dict[str, Any]] = []
    monkeypatch.setattr(anchors.logger, "exception", lambda message, extra: logged.append(extra))

    anchor_entries(make_record(new_reference(), entries=2), first_index=0)

    assert [extra["index"] for extra in logged] == [0, 1]


def test_read_bucket_first_version(bucket: str) -> None:
    document = first_anchor(make_record(new_reference()))
    put_anchor(bucket, document)
    # Written past If-None-Match, as someone with plain PutObject could.
    s3().put_object(Bucket=bucket, Key=anchor_key(document["reference_number"], 0),
                    Body=json.dumps({**document, "hash": "f" * 64}).encode(), ChecksumAlgorithm="SHA256")

    stored = read_bucket_anchors(bucket, document["reference_number"])

    assert stored.documents == {0: document}
    assert stored.overwritten == frozenset({0})


def test_locked_version_not_deletable(bucket: str) -> None:
    document = first_anchor(make_record(new_reference()))
    put_anchor(bucket, document)
    key = anchor_key(document["reference_number"], 0)
    version = versions_of(bucket, key)[0]["VersionId"]

    with pytest.raises(ClientError) as raised:
        s3().delete_object(Bucket=bucket, Key=key, VersionId=version)
    # HeadObject, because moto 5.2.5 returns a 500 error for GetObjectRetention.
    head = s3().head_object(Bucket=bucket, Key=key, VersionId=version)

    assert raised.value.response["Error"]["Code"] == "AccessDenied"
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] > datetime.now(UTC) + timedelta(days=9 * 365)
    assert s3().get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]["Rule"] == {
        "DefaultRetention": {"Mode": "COMPLIANCE", "Days": 0, "Years": 10}
    }


def test_interleaved_append_anchors_own_index(bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # moto's DynamoDB has no locking, so threads appending at once can lose updates there.
    # Instead, a second writer's append lands between the first writer's update and
    # its anchor write, which is the case that a re-read of the record would get wrong.
    record = make_record(new_reference(), entries=1)
    repository.save_new_application(record)
    write_anchors = repository.anchor_entries

    def entry(comment: str) -> HistoryEntry:
        return HistoryEntry(at=START + timedelta(hours=1), event="identity_checked",
                            status=ApplicationStatus.SUBMITTED, actor="workflow", comment=comment)

    def append_before_anchoring(stored: ApplicationRecord, first_index: int) -> None:
        monkeypatch.setattr(repository, "anchor_entries", write_anchors)
        repository.append_history(record.reference_number, entry("second writer"), ApplicationStatus.SUBMITTED)
        write_anchors(stored, first_index)

    monkeypatch.setattr(repository, "anchor_entries", append_before_anchoring)
    repository.append_history(record.reference_number, entry("first writer"), ApplicationStatus.SUBMITTED)
    document = audit_export(repository.get_application(record.reference_number))
    check = check_anchors(document, read_bucket_anchors(bucket, record.reference_number))

    assert [item["entry"].get("comment") for item in document["entries"]] == [None, "first writer", "second writer"]
    assert check.matched == (0, 1, 2)
    assert check.valid


# --- python -m madoguchi.audit verify --anchors / --anchors-dir -----------------------------


def run_verify(*arguments: str) -> subprocess.CompletedProcess[str]:
    # The local stack's AWS_ENDPOINT_URL and credentials reach the command through the environment.
    return subprocess.run(
        [sys.executable, "-m", "madoguchi.audit", "verify", *arguments],
        capture_output=True, text=True, timeout=60, env=dict(os.environ), check=False,
    )


def write_export(tmp_path: Path, record: ApplicationRecord) -> Path:
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(audit_export(record), ensure_ascii=False), encoding="utf-8")
    return path


def write_anchor_dir(tmp_path: Path, record: ApplicationRecord) -> Path:
    directory = tmp_path / "anchors"
    directory.mkdir()
    for index, document in stored_from(record).documents.items():
        (directory / f"{index:06d}.json").write_text(json.dumps(document), encoding="utf-8")
    return directory


def test_command_anchor_dir_valid(tmp_path: Path) -> None:
    record = make_record("2026-7K2Q-9XM4")

    result = run_verify(str(write_export(tmp_path, record)), "--anchors-dir", str(write_anchor_dir(tmp_path, record)))

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("valid: 6 entries")
    assert "every entry matches its anchor" in result.stdout


def test_command_anchor_dir_edited(tmp_path: Path) -> None:
    record = make_record("2026-7K2Q-9XM4")
    directory = write_anchor_dir(tmp_path, record)
    record.history[4] = record.history[4].model_copy(update={"actor": "approver:someone-else"})

    result = run_verify(str(write_export(tmp_path, record)), "--anchors-dir", str(directory))

    assert result.returncode == 1
    assert result.stdout.startswith("broken: entry 4: hash differs from its anchor")
    assert "4 matched, 2 mismatched" in result.stdout


def test_command_anchor_dir_missing(tmp_path: Path) -> None:
    record = make_record("2026-7K2Q-9XM4")
    directory = write_anchor_dir(tmp_path, record)
    (directory / "000002.json").unlink()

    result = run_verify(str(write_export(tmp_path, record)), "--anchors-dir", str(directory))

    assert result.returncode == 1
    assert result.stdout.startswith("broken: entry 2: not anchored")


def test_command_anchor_dir_extra(tmp_path: Path) -> None:
    record = make_record("2026-7K2Q-9XM4")
    directory = write_anchor_dir(tmp_path, record)
    shortened = record.model_copy(update={"history": record.history[:5]})

    result = run_verify(str(write_export(tmp_path, shortened)), "--anchors-dir", str(directory))

    assert result.returncode == 1
    assert result.stdout.startswith("broken: entry 5: anchored, but missing from the export")


def test_directory_of_bucket_copy(tmp_path: Path) -> None:
    record = make_record("2026-7K2Q-9XM4")
    nested = tmp_path / "copy" / "anchors"
    nested.mkdir(parents=True)
    write_anchor_dir(tmp_path, record).rename(nested / record.reference_number)

    directory = read_directory_anchors(tmp_path / "copy", record.reference_number)

    assert sorted(directory.documents) == [0, 1, 2, 3, 4, 5]


def test_command_rejects_s3_prefix(tmp_path: Path) -> None:
    path = write_export(tmp_path, make_record("2026-7K2Q-9XM4"))

    result = run_verify(str(path), "--anchors", "s3://bucket/anchors/")

    assert result.returncode == 2
    assert "expected s3://BUCKET" in result.stderr


def test_command_anchor_bucket(tmp_path: Path, bucket: str) -> None:
    record = make_record(new_reference())
    anchor_entries(record, first_index=0)
    good = write_export(tmp_path, record)
    record.history[1] = record.history[1].model_copy(update={"comment": "書き換え"})
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(audit_export(record), ensure_ascii=False), encoding="utf-8")

    valid = run_verify(str(good), "--anchors", f"s3://{bucket}")
    broken = run_verify(str(edited), "--anchors", f"s3://{bucket}")

    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert broken.stdout.startswith("broken: entry 1: hash differs from its anchor")


def test_command_unreachable_bucket(tmp_path: Path, local_stack: Any) -> None:
    path = write_export(tmp_path, make_record(new_reference()))

    result = run_verify(str(path), "--anchors", "s3://madoguchi-no-such-bucket")

    assert result.returncode == 2
    assert "cannot read the anchors" in result.stderr
