"""DynamoDB items and S3 objects of notices.

| item                      | PK                          | SK       |
|---------------------------|-----------------------------|----------|
| notice of an application  | ``APPLICATION#<reference>`` | ``NOTICE`` |
| lookup by verification code | ``NOTICE#<code>``          | ``META``   |

Both items carry the same attributes and are written in one transaction, so a code
never points to a notice that the application does not have. The PDFs are in the
answers bucket under ``notices/`` with SSE-KMS.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from madoguchi import aws
from madoguchi.notices.models import NoticeRecord
from madoguchi.settings import get_settings


class NoticeAlreadyIssued(Exception):
    """The application already has a notice (a retried or repeated task)."""


def _table() -> Any:
    return aws.table(get_settings().table_name)


def _application_key(reference_number: str) -> dict[str, str]:
    return {"PK": f"APPLICATION#{reference_number}", "SK": "NOTICE"}


def _code_key(code: str) -> dict[str, str]:
    return {"PK": f"NOTICE#{code}", "SK": "META"}


def notice_object_key(procedure_id: str, reference_number: str, code: str) -> str:
    return f"notices/{procedure_id}/{reference_number}/{code}.pdf"


def save_notice(record: NoticeRecord) -> None:
    """Store both items of a new notice.

    Raises:
        NoticeAlreadyIssued: the application already has a notice.
    """
    attributes = record.model_dump(mode="json")
    client = aws.client("dynamodb")
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()

    def item(key: dict[str, str]) -> dict[str, Any]:
        return {name: serializer.serialize(value) for name, value in {**key, **attributes}.items()}

    table_name = get_settings().table_name
    try:
        client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table_name,
                        "Item": item(_application_key(record.reference_number)),
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
                {
                    "Put": {
                        "TableName": table_name,
                        "Item": item(_code_key(record.verification_code)),
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
            ]
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "TransactionCanceledException":
            raise NoticeAlreadyIssued(record.reference_number) from exc
        raise


def get_notice_of_application(reference_number: str) -> NoticeRecord | None:
    response = _table().get_item(Key=_application_key(reference_number), ConsistentRead=True)
    item = response.get("Item")
    return NoticeRecord.model_validate(item) if item else None


def get_notice_by_code(code: str) -> NoticeRecord | None:
    response = _table().get_item(Key=_code_key(code))
    item = response.get("Item")
    return NoticeRecord.model_validate(item) if item else None


def save_pdf(key: str, pdf: bytes) -> None:
    settings = get_settings()
    aws.client("s3").put_object(
        Bucket=settings.answers_bucket,
        Key=key,
        Body=pdf,
        ContentType="application/pdf",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=settings.answers_kms_key_id,
    )


def load_pdf(key: str) -> bytes:
    response = aws.client("s3").get_object(Bucket=get_settings().answers_bucket, Key=key)
    return response["Body"].read()
