"""Mail outbox of the local stack: every e-mail that the local SES accepted."""

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


def list_messages(account_id: str, region: str) -> list[dict[str, Any]]:
    """Return sent messages, newest first, as ``to``, ``subject``, ``text``, ``sent_at``."""
    from moto.ses.models import Message, ses_backends

    backend = ses_backends[account_id][region]
    messages = []
    for message in list(backend.sent_messages):
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
            }
        )
    return sorted(messages, key=lambda m: m["sent_at"], reverse=True)
