"""Pages of the payment flow: Checkout return pages and the receipt (領収書).

The return pages show the state stored on the server for the session (success)
or the reference number (cancel); nothing in the URL decides what they say.
The receipt page is a shell whose script reads the access key from the URL
fragment, like the status page, and asks the API for the receipt.
"""

from __future__ import annotations

from madoguchi.i18n import SUPPORTED_LOCALES, translate
from madoguchi.web.pages import _environment, page_messages

_RETURN_MESSAGES = {
    "paid": "return_paid",
    "refunded": "return_paid",
    "processing": "return_processing",
    "pending": "return_pending",
    "flagged": "return_pending",
    "failed": "return_failed",
    "expired": "return_expired",
}


def _render(template: str, locale: str, path: str, **context: object) -> str:
    def t(key: str, **params: object) -> str:
        return translate(f"pages.{key}", locale, **params)

    def p(key: str, **params: object) -> str:
        return translate(f"payments.{key}", locale, **params)

    other = next(code for code in SUPPORTED_LOCALES if code != locale)
    return _environment().get_template(template).render(
        locale=locale, other_locale=other, t=t, p=p, path=path, **context
    )


def render_return_page(
    state: str, cancelled: bool, locale: str, reference_number: str | None = None, session_id: str | None = None
) -> str:
    """Render the page Stripe Checkout returns to, from the stored payment state.

    ``session_id`` keeps the page's own address for its reload link.
    """
    if state == "pending" and cancelled:
        message_key = "return_cancelled"
    else:
        message_key = _RETURN_MESSAGES.get(state, "return_unknown")
    path = "/payments/cancelled" if cancelled else "/payments/complete"
    return _render(
        "payment_return.html",
        locale,
        path,
        state=state,
        message_key=message_key,
        reference_number=reference_number or "",
        session_id=session_id or "",
        cancelled=cancelled,
    )


def render_receipt_page(reference_number: str, locale: str) -> str:
    return _render(
        "receipt.html",
        locale,
        f"/status/{reference_number}/receipt",
        reference_number=reference_number,
        messages=page_messages(locale),
        payment_messages=_payment_messages(locale),
    )


def _payment_messages(locale: str) -> str:
    import json

    from madoguchi.i18n import load_catalog

    catalog = load_catalog(locale)
    messages = {k.removeprefix("payments."): v for k, v in catalog.items() if k.startswith("payments.")}
    return json.dumps(messages, ensure_ascii=False).replace("</", "<\\/")
