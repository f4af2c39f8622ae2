"""Idempotent submission: the same Idempotency-Key and body return the same application.

Built on Powertools Idempotency with the application table as its store. The
stored response holds the reference number and status but no access token; the
caller derives the token again, so no secret is persisted.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from madoguchi.applications.service import (
    SubmissionRequest,
    request_fingerprint,
    submit_application,
)
from madoguchi.settings import get_settings

MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(Exception):
    """The key was already used with a different request body."""


class IdempotencyKeyInProgress(Exception):
    """A request with this key is still being processed."""


class IdempotencyKeyInvalid(ValueError):
    """The key is empty, too long or contains characters other than visible ASCII."""


@cache
def _submit_once() -> tuple[Any, Any]:
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    settings = get_settings()
    persistence = DynamoDBPersistenceLayer(
        table_name=settings.table_name,
        key_attr="PK",
        sort_key_attr="SK",
        static_pk_value="IDEMPOTENCY#submit_application",
        expiry_attr="expires_at_epoch",
        status_attr="idempotency_status",
    )
    config = IdempotencyConfig(
        event_key_jmespath="idempotency_key",
        payload_validation_jmespath="fingerprint",
        expires_after_seconds=settings.idempotency_ttl_seconds,
        raise_on_no_idempotency_key=True,
    )

    @idempotent_function(
        data_keyword_argument="envelope", persistence_store=persistence, config=config
    )
    def submit(envelope: dict[str, Any], request: SubmissionRequest) -> dict[str, Any]:
        return submit_application(request)

    return submit, config


def submit_application_once(
    key: str, request: SubmissionRequest, lambda_context: Any = None
) -> dict[str, Any]:
    """Submit unless this key was already used; a replay returns the first result.

    Raises:
        IdempotencyKeyInvalid: the key is malformed.
        IdempotencyKeyReused: the key was used with a different body.
        IdempotencyKeyInProgress: the first request with this key has not finished.
        Any error of ``submit_application``; the key is then released for a retry.
    """
    if not key or len(key) > MAX_KEY_LENGTH or not all(33 <= ord(c) <= 126 for c in key):
        raise IdempotencyKeyInvalid(key)

    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    envelope = {"idempotency_key": key, "fingerprint": request_fingerprint(request)}
    submit, config = _submit_once()
    if lambda_context is not None:
        # Lets Powertools expire an in-progress record when this invocation times out.
        config.register_lambda_context(lambda_context)
    try:
        return submit(envelope=envelope, request=request)
    except IdempotencyValidationError as exc:
        raise IdempotencyKeyReused(key) from exc
    except IdempotencyAlreadyInProgressError as exc:
        raise IdempotencyKeyInProgress(key) from exc
