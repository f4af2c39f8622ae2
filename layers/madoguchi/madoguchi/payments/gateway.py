"""The Stripe API as this project uses it, through the official SDK.

With a real secret key (``sk_test_…``/``sk_live_…``) the SDK talks to Stripe.
With no key, or a key starting ``sk_local_``, it talks to the payment simulator
of the local stack (``infra/local/stripe_simulator.py``), which answers the same
endpoints under ``PUBLIC_BASE_URL/_local/stripe``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from madoguchi.settings import get_settings

LOCAL_KEY_PREFIX = "sk_local_"
LOCAL_DEFAULT_KEY = "sk_local_madoguchi"


class PaymentProviderError(Exception):
    """A Stripe API call failed; the message carries Stripe's error code, never card data."""


def uses_simulator() -> bool:
    key = get_settings().stripe_api_key
    return not key or key.startswith(LOCAL_KEY_PREFIX)


@cache
def client() -> Any:
    """Return a ``stripe.StripeClient`` for the configured key and base URL."""
    import stripe

    settings = get_settings()
    base = settings.stripe_api_base
    if uses_simulator():
        base = base or f"{settings.public_base_url}/_local/stripe"
    addresses = {"api": base} if base else {}
    return stripe.StripeClient(
        settings.stripe_api_key or LOCAL_DEFAULT_KEY,
        base_addresses=addresses,  # type: ignore[arg-type]
        max_network_retries=2,
    )


def _call(action: Any, *args: Any, **kwargs: Any) -> Any:
    import stripe

    try:
        return action(*args, **kwargs)
    except stripe.StripeError as exc:
        raise PaymentProviderError(f"Stripe request failed: {exc.code or type(exc).__name__}") from exc


def create_checkout_session(params: dict[str, Any], idempotency_key: str) -> Any:
    sessions = client().v1.checkout.sessions
    return _call(sessions.create, params, {"idempotency_key": idempotency_key})


def retrieve_checkout_session(session_id: str, expand: list[str] | None = None) -> Any:
    params = {"expand": expand} if expand else None
    return _call(client().v1.checkout.sessions.retrieve, session_id, params)


def expire_checkout_session(session_id: str) -> Any:
    return _call(client().v1.checkout.sessions.expire, session_id)


def list_checkout_sessions(created_after: int, limit: int = 100) -> Any:
    """Return an auto-paging iterator over sessions created at or after ``created_after``."""
    page = _call(
        client().v1.checkout.sessions.list, {"created": {"gte": created_after}, "limit": limit}
    )
    return page.auto_paging_iter()


def create_refund(payment_intent_id: str, amount: int, metadata: dict[str, str], idempotency_key: str) -> Any:
    params = {"payment_intent": payment_intent_id, "amount": amount, "metadata": metadata}
    return _call(client().v1.refunds.create, params, {"idempotency_key": idempotency_key})
