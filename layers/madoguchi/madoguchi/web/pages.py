"""Server-rendered pages: home, form, status, approval, errors, and static assets.

Pages are plain HTML with one small script each, served from this origin only
(no CDN), so they load fast on phones and work with screen readers.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from chalice import Response

from madoguchi.i18n import SUPPORTED_LOCALES, load_catalog, translate
from madoguchi.procedures.models import TOKYO, ProcedureDefinition
from madoguchi.web.responses import SECURITY_HEADERS, html_response

_HERE = Path(__file__).parent
_STATIC = _HERE / "static"
_STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


@cache
def _environment() -> Any:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["tokyo"] = lambda value: _format_tokyo(value)
    return environment


def _format_tokyo(value: datetime | str) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M")


def _render(template: str, locale: str, **context: Any) -> str:
    def t(key: str, **params: object) -> str:
        return translate(f"pages.{key}", locale, **params)

    other = next(code for code in SUPPORTED_LOCALES if code != locale)
    return _environment().get_template(template).render(
        locale=locale, other_locale=other, t=t, **context
    )


def render_page(template: str, locale: str, path: str, **context: Any) -> str:
    """Render a page template of another domain; ``t`` still reads the pages catalog."""
    return _render(template, locale, path=path, **context)


def page_messages(locale: str) -> str:
    """Return the page catalog as JSON for scripts (embedded as data, never executed)."""
    catalog = load_catalog(locale)
    messages = {k.removeprefix("pages."): v for k, v in catalog.items() if k.startswith("pages.")}
    return json.dumps(messages, ensure_ascii=False).replace("</", "<\\/")


def render_home(catalog: dict[str, ProcedureDefinition], locale: str) -> str:
    now = datetime.now(UTC)
    procedures = sorted(catalog.values(), key=lambda d: d.title.ja)
    return _render("home.html", locale, procedures=procedures, now=now, path="/")


def render_form(definition: ProcedureDefinition, locale: str) -> str:
    now = datetime.now(UTC)
    conditions = {
        field.id: field.visible_when.model_dump(exclude_none=True)
        for field in definition.fields
        if field.visible_when
    }
    return _render(
        "form.html",
        locale,
        definition=definition,
        is_open=definition.is_open(now),
        conditions=json.dumps(conditions),
        messages=page_messages(locale),
        path=f"/procedures/{definition.id}",
    )


def render_status(reference_number: str | None, locale: str) -> str:
    path = f"/status/{reference_number}" if reference_number else "/status"
    return _render(
        "status.html",
        locale,
        reference_number=reference_number or "",
        messages=page_messages(locale),
        path=path,
    )


def render_message(message: str, locale: str) -> str:
    """Render a page that shows one sentence (a result or an error) and a link home."""
    return _render("message.html", locale, message=message, message_key="", path="/")


def render_error(status_code: int, locale: str) -> str:
    return _render("error.html", locale, status_code=status_code, path="/")


def static_response(name: str) -> Response:
    path = (_STATIC / name).resolve()
    if path.parent != _STATIC.resolve() or not path.is_file() or path.suffix not in _STATIC_TYPES:
        return Response(body="not found", status_code=404, headers={"Content-Type": "text/plain"})
    return Response(
        body=path.read_text(encoding="utf-8"),
        headers={
            "Content-Type": _STATIC_TYPES[path.suffix],
            "Cache-Control": "public, max-age=300",
            **SECURITY_HEADERS,
        },
    )


# The same limit as the textarea's maxlength; the server checks it again because a
# form can be posted without the page.
MAX_COMMENT_CHARACTERS = 2000


def approval_page_response(task_id: str) -> Response:
    """Show an approval task. GET and HEAD never change anything."""
    from madoguchi.approvals.service import ApprovalTaskNotFound, approval_view

    try:
        view = approval_view(task_id)
    except ApprovalTaskNotFound:
        return html_response(_approval_message("approval_not_found"), 404)
    if view["state"] == "expired":
        return html_response(_approval_message("approval_expired"), 410)
    if view["state"] != "pending":
        return html_response(_approval_message("approval_closed"), 409)
    return html_response(_render_approval(view, task_id))


def approval_decision_response(task_id: str, form: dict[str, str]) -> Response:
    """Record a decision posted from the approval page; only the first valid POST decides."""
    from madoguchi.applications.repository import ApprovalTaskClosed
    from madoguchi.approvals.service import (
        DECISIONS,
        ApprovalTaskNotFound,
        approval_view,
        decide,
    )

    decision = form.get("decision", "")
    comment = form.get("comment", "").strip()
    try:
        view = approval_view(task_id)
    except ApprovalTaskNotFound:
        return html_response(_approval_message("approval_not_found"), 404)
    if view["state"] == "expired":
        return html_response(_approval_message("approval_expired"), 410)
    if view["state"] != "pending":
        return html_response(_approval_message("approval_closed"), 409)
    if decision not in DECISIONS:
        return html_response(
            _render_approval(view, task_id, error="approval_invalid", comment=comment), 422
        )
    if decision in ("reject", "return") and not comment:
        return html_response(
            _render_approval(view, task_id, error="comment_required", decision=decision), 422
        )
    if len(comment) > MAX_COMMENT_CHARACTERS:
        return html_response(
            _render_approval(
                view, task_id, error="comment_too_long", decision=decision, comment=comment
            ),
            422,
        )

    try:
        result = decide(task_id, decision, comment, form.get("csrf_token", ""))
    except ApprovalTaskClosed:
        # Another POST won the race, the link expired meanwhile, or the CSRF token is wrong.
        after = approval_view(task_id)
        if after["state"] == "pending":
            return html_response(_approval_message("approvals.csrf_invalid"), 403)
        if after["state"] == "expired":
            return html_response(_approval_message("approval_expired"), 410)
        return html_response(_approval_message("approval_closed"), 409)
    if result.awaiting_other_roles:
        return html_response(_approval_message("approval_recorded_waiting"), 200)
    key = "approval_done" if result.workflow_resumed else "approval_workflow_closed"
    return html_response(_approval_message(key), 200)


def _render_approval(
    view: dict[str, Any],
    task_id: str,
    error: str | None = None,
    decision: str = "",
    comment: str = "",
) -> str:
    """Render the approval form; after an error it keeps the decision and comment entered."""
    from madoguchi.applications.status import history_label

    definition: ProcedureDefinition = view["definition"]
    answers = view["answers"]
    rows = [
        (field.label.ja, _display_answer(field, answers[field.id]))
        for field in definition.fields
        if field.id in answers and field.type != "file"
    ]
    attachments = _attachment_rows(definition, answers, task_id)
    acting = {"代理": translate("pages.approval_acting_proxy", "ja"),
              "escalation": translate("pages.approval_acting_escalation", "ja")}
    event_labels = [
        history_label(entry)["ja"]
        + (f"（{acting.get(entry.acting_as, entry.acting_as)}）" if entry.acting_as else "")
        for entry in view["record"].history
    ]
    return _render(
        "approval.html",
        "ja",
        view=view,
        rows=rows,
        attachments=attachments,
        event_labels=event_labels,
        task_id=task_id,
        error=error,
        decision=decision,
        comment=comment,
        path=f"/approvals/{task_id}",
    )


def _attachment_rows(
    definition: ProcedureDefinition, answers: dict[str, Any], task_id: str
) -> list[tuple[str, list[dict[str, Any]]]]:
    """Return ``(field label, download links)`` per answered file field; links open through
    ``/approvals/<task id>/attachments/<upload id>``, never straight from the bucket."""
    from madoguchi.attachments.service import attachment_links

    return [
        (field.label.ja, attachment_links(task_id, answers[field.id]))
        for field in definition.fields
        if field.type == "file" and answers.get(field.id)
    ]


def _display_answer(field: Any, value: Any) -> str:
    from madoguchi.procedures.display import display_answer

    return display_answer(field, value)


def _approval_message(key: str) -> str:
    """Render a one-line page; ``key`` is a pages catalog name or a full catalog key."""
    if "." in key:
        return _render("message.html", "ja", message=translate(key, "ja"), path="/")
    return _render("message.html", "ja", message=translate(f"pages.{key}", "ja"), path="/")
