"""Answers are kept in S3, encrypted with the answers KMS key (SSE-KMS)."""

from __future__ import annotations

import json
from typing import Any

from madoguchi import aws
from madoguchi.settings import get_settings


def answers_key(procedure_id: str, reference_number: str, version: int) -> str:
    return f"answers/{procedure_id}/{reference_number}/v{version}.json"


def save_answers(key: str, document: dict[str, Any]) -> None:
    settings = get_settings()
    aws.client("s3").put_object(
        Bucket=settings.answers_bucket,
        Key=key,
        Body=json.dumps(document, ensure_ascii=False).encode("utf-8"),
        ContentType="application/json; charset=utf-8",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=settings.answers_kms_key_id,
    )


def load_answers(key: str) -> dict[str, Any]:
    response = aws.client("s3").get_object(Bucket=get_settings().answers_bucket, Key=key)
    return json.loads(response["Body"].read())
