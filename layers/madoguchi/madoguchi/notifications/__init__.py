"""E-mail to applicants and approvers: rendered from message templates, sent through SES.

Every message is UTF-8 (ISO-2022-JP cannot encode 髙, 﨑 or 𠮷), plain text, and
Japanese unless the applicant chose English. Messages with files (a notice PDF) go as
a raw MIME message through the same SES v2 call.
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
class Attachment:
    file_name: str
    content_type: str
    data: bytes


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


def build_mime_message(sender: str, message: EmailMessage, attachments: list[Attachment]) -> bytes:
    """Return a multipart/mixed message: the UTF-8 text, then each file in base64.

    Headers with non-ASCII text become RFC 2047 encoded words, and file names use the
    RFC 2231 ``filename*=utf-8''…`` form, so 髙 and 𠮷 survive every hop.
    """
    from email.message import EmailMessage as MimeMessage
    from email.policy import SMTP
    from email.utils import formatdate, make_msgid

    mime = MimeMessage(policy=SMTP)
    mime["From"] = sender
    mime["To"] = ", ".join(message.to)
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(localtime=False)
    mime["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    mime.set_content(message.text, charset="utf-8", cte="base64")
    for attachment in attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        mime.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.file_name
        )
    return mime.as_bytes()


def send_email_with_attachments(
    message: EmailMessage, attachments: list[Attachment], purpose: str
) -> str:
    """Send a message with files through SES v2 (raw content) and return the message id."""
    sender = get_settings().sender_email
    raw = build_mime_message(sender, message, attachments)
    response = aws.client("sesv2").send_email(
        FromEmailAddress=sender,
        Destination={"ToAddresses": message.to},
        Content={"Raw": {"Data": raw}},
    )
    logger.info(
        "email sent",
        extra={"purpose": purpose, "recipients": len(message.to), "attachments": len(attachments)},
    )
    return response["MessageId"]
