"""E-mails to the applicant: receipt and decision."""

from __future__ import annotations

from typing import Any

from madoguchi.applications import repository, tokens
from madoguchi.applications.models import ApplicationRecord
from madoguchi.applications.status import status_label
from madoguchi.notifications import render_email, send_email
from madoguchi.procedures import get_procedure
from madoguchi.procedures.models import TOKYO
from madoguchi.settings import get_settings


def status_url(reference_number: str) -> str:
    """Return the applicant's status link; the token sits in the fragment, which
    browsers never send to a server, so it stays out of access logs."""
    settings = get_settings()
    token = tokens.access_token(settings.signing_secret, reference_number)
    return f"{settings.public_base_url}/status/{reference_number}#token={token}"


def notify_applicant(reference_number: str, kind: str) -> bool:
    """Send the ``received`` or ``decided`` e-mail; return False when there is no address."""
    record = repository.get_application(reference_number)
    if not record.applicant_email:
        return False
    template = "application_received" if kind == "received" else "application_decided"
    context = _context(record)
    notice = _issued_notice(record) if kind == "decided" else None
    if notice is not None:
        context["notice_title"] = notice[0].title_ja if record.locale == "ja" else notice[0].title_en
    message = render_email(template, record.locale, [record.applicant_email], **context)
    if notice is None:
        send_email(message, purpose=f"applicant_{kind}")
    else:
        from madoguchi.notices.service import download_file_name
        from madoguchi.notifications import Attachment, send_email_with_attachments

        record_of_notice, pdf = notice
        attachment = Attachment(download_file_name(record_of_notice), "application/pdf", pdf)
        send_email_with_attachments(message, [attachment], purpose=f"applicant_{kind}")
    return True


def _issued_notice(record: ApplicationRecord) -> tuple[Any, bytes] | None:
    """Return the application's notice and its PDF, or None when none was issued."""
    from madoguchi.notices.service import NoticeNotFound, notice_for_applicant

    try:
        return notice_for_applicant(record.reference_number)
    except NoticeNotFound:
        return None


def _context(record: ApplicationRecord) -> dict[str, object]:
    definition = get_procedure(record.procedure_id)
    locale = record.locale
    last_comment = _current_version_comment(record)
    return {
        "procedure_title": definition.title.get(locale),
        "reference_number": record.reference_number,
        "answers_version": record.answers_version,
        "submitted_at": record.created_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M"),
        "status_label": status_label(record.status)[locale],
        "comment": last_comment,
        "status_url": status_url(record.reference_number),
        "notice_title": None,
        "department_name": definition.department.name.get(locale),
        "department_phone": definition.department.phone,
        "department_hours": definition.department.hours.get(locale),
        "department_email": definition.department.email,
    }


def _current_version_comment(record: ApplicationRecord) -> str | None:
    """Return the newest staff comment on the current answers version, if any.

    A return comment on an earlier version was already sent with the return and is
    not repeated in the mails about the corrected version.
    """
    for entry in reversed(record.history):
        if entry.comment:
            return entry.comment
        if entry.event in ("submitted", "resubmitted"):
            return None
    return None
