"""E-mail to applicants and approvers: rendered from message templates, sent through SES.

Every message is UTF-8 (ISO-2022-JP cannot encode 髙, 﨑 or 𠮷), plain text, and
Japanese unless the applicant chose English.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger

from madoguchi import aws
from madoguchi.i18n import normalize_locale
from madoguchi.settings import get_settings

logger = Logger(child=True)

_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class EmailMessage:
    to: list[str]
    subject: str
    text: str


@cache
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=False,  # plain-text e-mail
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render_email(template: str, locale: str, to: list[str], **context: Any) -> EmailMessage:
    """Render ``templates/<locale>/<template>.txt``; its first line is ``Subject: …``."""
    path = f"{normalize_locale(locale)}/{template}.txt"
    rendered = _environment().get_template(path).render(**context)
    subject_line, _, body = rendered.partition("\n")
    if not subject_line.startswith("Subject: "):
        raise ValueError(f"template {path} must start with a 'Subject: ' line")
    return EmailMessage(to=to, subject=subject_line.removeprefix("Subject: "), text=body.lstrip("\n"))


def send_email(message: EmailMessage, purpose: str) -> str:
    """Send through SES v2 and return the message id; ``purpose`` labels the log line."""
    response = aws.client("sesv2").send_email(
        FromEmailAddress=get_settings().sender_email,
        Destination={"ToAddresses": message.to},
        Content={
            "Simple": {
                "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"}},
            }
        },
    )
    logger.info("email sent", extra={"purpose": purpose, "recipients": len(message.to)})
    return response["MessageId"]
