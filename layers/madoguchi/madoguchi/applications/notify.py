"""E-mails to the applicant: receipt and decision."""

from __future__ import annotations

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
    message = render_email(
        template, record.locale, [record.applicant_email], **_context(record)
    )
    send_email(message, purpose=f"applicant_{kind}")
    return True


def _context(record: ApplicationRecord) -> dict[str, object]:
    definition = get_procedure(record.procedure_id)
    locale = record.locale
    last_comment = next((e.comment for e in reversed(record.history) if e.comment), None)
    return {
        "procedure_title": definition.title.get(locale),
        "reference_number": record.reference_number,
        "submitted_at": record.created_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M"),
        "status_label": status_label(record.status)[locale],
        "comment": last_comment,
        "status_url": status_url(record.reference_number),
        "department_name": definition.department.name.get(locale),
        "department_phone": definition.department.phone,
        "department_hours": definition.department.hours.get(locale),
        "department_email": definition.department.email,
    }
