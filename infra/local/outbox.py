"""Mail outbox of the local stack: every e-mail that the local SES accepted, plain
(``ses.Message``) or raw MIME with attachments (``ses.RawMessage``)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

_lock = threading.Lock()
_sent_at: dict[str, str] = {}


def install() -> None:
    """Stamp each message that moto's SES stores with the time it was sent."""
    from moto.ses.models import SESBackend

    original = SESBackend.send_email

    def send_email_with_time(self: Any, *args: Any, **kwargs: Any) -> Any:
        message = original(self, *args, **kwargs)
        with _lock:
            _sent_at[message.id] = datetime.now(UTC).isoformat()
        return message

    SESBackend.send_email = send_email_with_time

    original_raw = SESBackend.send_raw_email

    def send_raw_email_with_time(self: Any, *args: Any, **kwargs: Any) -> Any:
        message = original_raw(self, *args, **kwargs)
        with _lock:
            _sent_at[message.id] = datetime.now(UTC).isoformat()
        return message

    SESBackend.send_raw_email = send_raw_email_with_time


def list_messages(account_id: str, region: str) -> list[dict[str, Any]]:
    """Return sent messages, newest first, as ``to``, ``subject``, ``text``, ``sent_at`` and
    ``attachments`` (file name, content type, size, SHA-256 and a download path)."""
    from moto.ses.models import Message, RawMessage, ses_backends

    backend = ses_backends[account_id][region]
    messages = []
    for message in list(backend.sent_messages):
        if isinstance(message, RawMessage):
            messages.append(_raw_message(message))
            continue
        if not isinstance(message, Message):
            continue
        messages.append(
            {
                "id": message.id,
                "from": message.source,
                "to": message.destinations.get("ToAddresses", []),
                "subject": message.subject,
                "text": message.body,
                "sent_at": _sent_at.get(message.id, ""),
                "attachments": [],
            }
        )
    return sorted(messages, key=lambda m: m["sent_at"], reverse=True)


def _parsed(raw_data: str) -> Any:
    import email
    from email.policy import default

    return email.message_from_string(raw_data, policy=default)


def _raw_message(message: Any) -> dict[str, Any]:
    """Decode a raw MIME message: headers (RFC 2047), the first text part, the attachments."""
    import hashlib

    parsed = _parsed(message.raw_data)
    body = parsed.get_body(preferencelist=("plain",))
    attachments = []
    for index, part in enumerate(parsed.iter_attachments()):
        data = part.get_content()
        data = data if isinstance(data, bytes) else str(data).encode("utf-8")
        attachments.append(
            {
                "file_name": part.get_filename() or f"attachment-{index + 1}",
                "content_type": part.get_content_type(),
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "path": f"/_local/outbox/{message.id}/attachments/{index}",
            }
        )
    recipients = [address.strip() for address in str(parsed.get("To", "")).split(",") if address.strip()]
    return {
        "id": message.id,
        "from": message.source,
        "to": recipients or list(dict.fromkeys(message.destinations)),
        "subject": str(parsed.get("Subject", "")),
        "text": body.get_content() if body is not None else "",
        "sent_at": _sent_at.get(message.id, ""),
        "attachments": attachments,
    }


def attachment(account_id: str, region: str, message_id: str, index: int) -> tuple[str, str, bytes] | None:
    """Return (file name, content type, bytes) of one attachment of a raw message, or None."""
    from moto.ses.models import RawMessage, ses_backends

    for message in list(ses_backends[account_id][region].sent_messages):
        if isinstance(message, RawMessage) and message.id == message_id:
            parts = list(_parsed(message.raw_data).iter_attachments())
            if 0 <= index < len(parts):
                part = parts[index]
                return part.get_filename() or "attachment", part.get_content_type(), part.get_content()
    return None
