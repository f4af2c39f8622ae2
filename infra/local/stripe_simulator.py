"""Local stand-in for Stripe: the API calls madoguchi makes, a Checkout page, signed webhooks.

Served by the front server under ``/_local/stripe``; the Stripe SDK reaches it
through ``base_addresses={"api": …/_local/stripe}``. It implements only what the
product uses, with Stripe's shapes:

- ``POST /v1/checkout/sessions``, ``GET /v1/checkout/sessions[/{id}]``,
  ``POST /v1/checkout/sessions/{id}/expire``, ``POST /v1/refunds`` (full or
  partial, each followed by ``charge.refunded``) (form-encoded bodies with bracket
  keys, ``Idempotency-Key`` replays);
- ``GET /checkout/{id}``: a payment page with card success, card declined and
  konbini; ``GET /konbini/{id}``: the voucher, paid at the store or left to expire;
- webhooks delivered in the background in creation order, signed as Stripe signs
  them: header ``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">``.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import logging
import queue
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import requests
from werkzeug.wrappers import Request, Response

logger = logging.getLogger("madoguchi.local.stripe")

PREFIX = "/_local/stripe"
API_VERSION = "2025-09-30.clover"


def sign_payload(payload: str, secret: str, timestamp: int | None = None) -> str:
    """Return a ``Stripe-Signature`` header value for ``payload``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Decode Stripe's form encoding (``a[b][0][c]=v``) into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _lists(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def _new_id(prefix: str) -> str:
    return f"{prefix}_local_{secrets.token_hex(12)}"


@dataclass
class Delivery:
    event_id: str
    event_type: str
    status_code: int | None = None
    error: str | None = None


@dataclass
class StripeSimulator:
    """In-memory Stripe account; ``wsgi`` serves it, ``webhook_url`` receives its events."""

    site_url: str
    webhook_url: str
    webhook_secret: str
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    _idempotent: dict[str, tuple[int, str]] = field(default_factory=dict)
    # Charge id → Unix time of the charge, for the ``created`` of refunded charges.
    _charge_times: dict[str, int] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _outbox: queue.Queue = field(default_factory=queue.Queue)
    _worker: threading.Thread | None = None

    def start(self) -> StripeSimulator:
        self._worker = threading.Thread(target=self._deliver_forever, daemon=True, name="stripe-simulator")
        self._worker.start()
        return self

    # --- Events and webhooks -----------------------------------------------------

    def build_event(self, event_type: str, obj: dict[str, Any], created: int | None = None) -> dict[str, Any]:
        return {
            "id": _new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()) if created is None else created,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
            "data": {"object": json.loads(json.dumps(obj))},
        }

    def emit(self, event_type: str, obj: dict[str, Any], deliver: bool = True) -> dict[str, Any]:
        """Record an event and, unless ``deliver`` is False (a lost webhook), queue its delivery."""
        event = self.build_event(event_type, obj)
        with self._lock:
            self.events[event["id"]] = event
        if deliver:
            self._outbox.put(event["id"])
        return event

    def resend(self, event_id: str) -> None:
        """Queue an event again, as Stripe does when it retries or redelivers."""
        self._outbox.put(event_id)

    def signed_request(self, event: dict[str, Any], timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
        """Return the body and headers of a webhook delivery of ``event``."""
        payload = json.dumps(event, ensure_ascii=False, indent=2)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": sign_payload(payload, self.webhook_secret, timestamp),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        return payload.encode("utf-8"), headers

    def wait_for_deliveries(self, timeout: float = 10) -> None:
        """Block until every queued event was delivered (for tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._outbox.unfinished_tasks == 0:
                return
            time.sleep(0.02)
        raise TimeoutError("webhook deliveries still queued")

    def _deliver_forever(self) -> None:
        while True:
            event_id = self._outbox.get()
            try:
                self._deliver(self.events[event_id])
            finally:
                self._outbox.task_done()

    def _deliver(self, event: dict[str, Any]) -> None:
        body, headers = self.signed_request(event)
        delivery = Delivery(event["id"], event["type"])
        try:
            response = requests.post(self.webhook_url, data=body, headers=headers, timeout=30)
            delivery.status_code = response.status_code
        except requests.RequestException as exc:
            delivery.error = type(exc).__name__
        if delivery.status_code is None or delivery.status_code >= 300:
            logger.warning("webhook delivery failed: %s %s -> %s", event["type"], event["id"],
                           delivery.status_code or delivery.error)
        with self._lock:
            self.deliveries.append(delivery)

    # --- Account state changes (the Checkout page and tests use these) -------------

    def settle(self, session_id: str, outcome: str, deliver: bool = True) -> dict[str, Any]:
        """Apply a Checkout outcome and emit Stripe's events for it.

        ``outcome``: ``card_success``, ``card_declined`` (no event; the session stays
        open), ``konbini`` (voucher issued), ``konbini_paid``, ``konbini_expired``.
        ``deliver=False`` records the events without sending them, as when Stripe
        cannot reach the endpoint.
        """
        with self._lock:
            session = self.sessions[session_id]
            intent = self.intents[session["payment_intent"]]
            if outcome == "card_declined":
                return session
            if outcome in ("card_success", "konbini"):
                if session["status"] != "open":
                    raise ValueError(f"session {session_id} is {session['status']}, not open")
                method = "card" if outcome == "card_success" else "konbini"
                intent["payment_method"] = {"id": _new_id("pm"), "object": "payment_method", "type": method}
                session["status"] = "complete"
                if method == "card":
                    session["payment_status"] = "paid"
                    intent["status"] = "succeeded"
                    intent["latest_charge"] = _new_id("ch")
                    self._charge_times[intent["latest_charge"]] = int(time.time())
                else:
                    intent["status"] = "requires_action"
            elif outcome == "konbini_paid":
                session["payment_status"] = "paid"
                intent["status"] = "succeeded"
                intent["latest_charge"] = _new_id("ch")
                self._charge_times[intent["latest_charge"]] = int(time.time())
            elif outcome == "konbini_expired":
                intent["status"] = "canceled"
            else:
                raise ValueError(f"unknown outcome {outcome!r}")
            snapshot = json.loads(json.dumps(session))

        event_type = {
            "card_success": "checkout.session.completed",
            "konbini": "checkout.session.completed",
            "konbini_paid": "checkout.session.async_payment_succeeded",
            "konbini_expired": "checkout.session.async_payment_failed",
        }[outcome]
        self.emit(event_type, snapshot, deliver=deliver)
        return snapshot

    def expire(self, session_id: str) -> dict[str, Any]:
        with self._lock:
            session = self.sessions[session_id]
            if session["status"] != "open":
                raise _StripeError(400, "invalid_request_error", "session_not_open",
                                   f"Only Checkout Sessions with a status of open can be expired ({session_id}).")
            session["status"] = "expired"
            snapshot = json.loads(json.dumps(session))
        self.emit("checkout.session.expired", snapshot)
        return snapshot

    # --- WSGI --------------------------------------------------------------------

    def wsgi(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        path = request.path.removeprefix(PREFIX)
        try:
            if path.startswith("/v1/"):
                response = self._api(request, path)
            else:
                response = self._page(request, path)
        except _StripeError as exc:
            response = _json({"error": {"type": exc.type, "code": exc.code, "message": exc.message}}, exc.status)
        return response(environ, start_response)

    def _api(self, request: Request, path: str) -> Response:
        authorization = request.headers.get("Authorization", "")
        if not authorization.startswith("Bearer sk_local_"):
            raise _StripeError(401, "invalid_request_error", "api_key_invalid", "Invalid API Key provided.")
        key = request.headers.get("Idempotency-Key")
        if request.method == "POST" and key:
            with self._lock:
                replay = self._idempotent.get(f"{path}:{key}")
            if replay is not None:
                return Response(replay[1], status=replay[0], content_type="application/json",
                                headers={"Idempotent-Replayed": "true"})
        params = decode_form(parse_qsl(request.get_data(as_text=True), keep_blank_values=True))
        query = decode_form(list(request.args.items(multi=True)))

        match = re.fullmatch(r"/v1/checkout/sessions(?:/([^/]+))?(/expire)?", path)
        if path == "/v1/refunds" and request.method == "POST":
            body = self._create_refund(params)
        elif match and request.method == "POST" and match.group(1) is None:
            body = self._create_session(params)
        elif match and request.method == "POST" and match.group(2):
            body = self.expire(self._session_id(match.group(1)))
        elif match and request.method == "GET" and match.group(1):
            body = self._expanded(self.sessions[self._session_id(match.group(1))], query.get("expand") or [])
        elif match and request.method == "GET":
            body = self._list_sessions(query)
        else:
            raise _StripeError(404, "invalid_request_error", "resource_missing", f"Unrecognized request URL ({path}).")

        text = json.dumps(body, ensure_ascii=False)
        if request.method == "POST" and key:
            with self._lock:
                self._idempotent[f"{path}:{key}"] = (200, text)
        return Response(text, status=200, content_type="application/json")

    def _session_id(self, session_id: str) -> str:
        if session_id not in self.sessions:
            raise _StripeError(404, "invalid_request_error", "resource_missing",
                               f"No such checkout.session: '{session_id}'")
        return session_id

    def _create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        line_items = params.get("line_items") or []
        currencies = {item["price_data"]["currency"] for item in line_items}
        if currencies != {"jpy"}:
            raise _StripeError(400, "invalid_request_error", "parameter_invalid", "Konbini requires jpy line items.")
        amount = sum(int(item["price_data"]["unit_amount"]) * int(item.get("quantity", 1)) for item in line_items)
        now = int(time.time())
        expires_at = int(params.get("expires_at") or now + 86400)
        if not now + 1800 - 5 <= expires_at <= now + 86400 + 5:
            raise _StripeError(400, "invalid_request_error", "parameter_invalid_integer",
                               "expires_at must be between 30 minutes and 24 hours from now.")
        session_id = _new_id("cs_test")
        intent_id = _new_id("pi")
        metadata = params.get("metadata") or {}
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": amount,
            "amount_total": amount,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "created": now,
            "currency": "jpy",
            "expires_at": expires_at,
            "livemode": False,
            "locale": params.get("locale"),
            "metadata": metadata,
            "mode": params.get("mode", "payment"),
            "payment_intent": intent_id,
            "payment_method_types": params.get("payment_method_types") or ["card"],
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params.get("success_url"),
            "url": f"{self.site_url}{PREFIX}/checkout/{session_id}",
            "line_items_summary": [item["price_data"]["product_data"]["name"] for item in line_items],
        }
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "currency": "jpy",
            "metadata": (params.get("payment_intent_data") or {}).get("metadata") or {},
            "payment_method": None,
            "latest_charge": None,
            "status": "requires_payment_method",
        }
        with self._lock:
            self.sessions[session_id] = session
            self.intents[intent_id] = intent
        return session

    def _expanded(self, session: dict[str, Any], expand: list[str]) -> dict[str, Any]:
        with self._lock:
            body = json.loads(json.dumps(session))
            if any(path.startswith("payment_intent") for path in expand):
                body["payment_intent"] = json.loads(json.dumps(self.intents[session["payment_intent"]]))
        return body

    def _list_sessions(self, query: dict[str, Any]) -> dict[str, Any]:
        created = query.get("created") or {}
        gte = int(created.get("gte", 0)) if isinstance(created, dict) else 0
        limit = min(int(query.get("limit", 10)), 100)
        with self._lock:
            ordered = sorted(self.sessions.values(), key=lambda s: (s["created"], s["id"]), reverse=True)
        ordered = [s for s in ordered if s["created"] >= gte]
        after = query.get("starting_after")
        if after:
            ids = [s["id"] for s in ordered]
            ordered = ordered[ids.index(after) + 1 :] if after in ids else []
        page = ordered[:limit]
        return {"object": "list", "url": "/v1/checkout/sessions", "has_more": len(ordered) > limit,
                "data": json.loads(json.dumps(page))}

    def _create_refund(self, params: dict[str, Any]) -> dict[str, Any]:
        intent_id = params.get("payment_intent")
        with self._lock:
            intent = self.intents.get(str(intent_id))
            if intent is None or intent["status"] != "succeeded":
                raise _StripeError(400, "invalid_request_error", "charge_not_refundable",
                                   f"PaymentIntent {intent_id} has no successful charge to refund.")
            already = sum(r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent_id)
            amount = int(params.get("amount") or intent["amount"] - already)
            if already >= intent["amount"]:
                raise _StripeError(400, "invalid_request_error", "charge_already_refunded",
                                   f"Charge {intent['latest_charge']} has already been refunded.")
            if already + amount > intent["amount"]:
                # Stripe's message for a refund larger than what is left. The code comes from
                # client libraries that check for it, not from Stripe's API reference.
                raise _StripeError(400, "invalid_request_error", "amount_too_large",
                                   f"Refund amount (¥{amount:,}) is greater than unrefunded amount on charge "
                                   f"(¥{intent['amount'] - already:,})")
            refund = {
                "id": _new_id("re"),
                "object": "refund",
                "amount": amount,
                "charge": intent["latest_charge"],
                "created": int(time.time()),
                "currency": "jpy",
                "metadata": params.get("metadata") or {},
                "payment_intent": intent_id,
                "status": "succeeded",
            }
            self.refunds[refund["id"]] = refund
            # ``charge.refunded`` follows every refund, partial ones too: ``amount_refunded``
            # is the total so far and ``refunded`` turns true only at the full amount.
            charge = {
                "id": intent["latest_charge"],
                "object": "charge",
                "amount": intent["amount"],
                "amount_captured": intent["amount"],
                "amount_refunded": already + amount,
                "captured": True,
                "created": self._charge_times.get(intent["latest_charge"], refund["created"]),
                "currency": "jpy",
                "livemode": False,
                "metadata": intent["metadata"],
                "paid": True,
                "payment_intent": intent_id,
                "refunded": already + amount >= intent["amount"],
                "status": "succeeded",
            }
        self.emit("charge.refunded", charge)
        return refund

    # --- Pages -------------------------------------------------------------------

    def _page(self, request: Request, path: str) -> Response:
        if path == "/events.json":
            with self._lock:
                listing = [
                    {"id": e["id"], "type": e["type"], "created": e["created"],
                     "deliveries": [d.status_code for d in self.deliveries if d.event_id == e["id"]]}
                    for e in self.events.values()
                ]
            return _json(listing)
        match = re.fullmatch(r"/(checkout|konbini)/([^/]+)(/pay)?", path)
        if not match or match.group(2) not in self.sessions:
            return _html("見つかりません Not found", "<p>このお支払いページはありません。 No such payment page.</p>", 404)
        kind, session_id, action = match.groups()
        session = self.sessions[session_id]
        if action and request.method == "POST":
            outcome = request.form.get("outcome", "")
            if kind == "checkout" and outcome not in ("card_success", "card_declined", "konbini"):
                outcome = ""
            if kind == "konbini" and outcome not in ("konbini_paid", "konbini_expired"):
                outcome = ""
            if not outcome:
                return _html("不正な操作 Invalid request", "<p>選択肢が正しくありません。 Invalid choice.</p>", 400)
            try:
                self.settle(session_id, outcome)
            except ValueError:
                return self._checkout_page(session, error="このお支払いは終了しています。 This checkout has ended.")
            if outcome == "card_declined":
                return self._checkout_page(session, error="カードが拒否されました。別のカードをお試しください。"
                                                           " Your card was declined.")
            if outcome == "konbini":
                return Response(status=303, headers={"Location": f"{PREFIX}/konbini/{session_id}"})
            if kind == "konbini":
                return self._konbini_page(session, done=True)
            return Response(status=303, headers={"Location": session["success_url"].replace(
                "{CHECKOUT_SESSION_ID}", session_id)})
        if kind == "konbini":
            return self._konbini_page(session)
        return self._checkout_page(session)

    def _checkout_page(self, session: dict[str, Any], error: str | None = None) -> Response:
        amount = f"{session['amount_total']:,}"
        items = "".join(f"<li>{html.escape(name)}</li>" for name in session["line_items_summary"])
        alert = f'<p class="notice notice-error" role="alert">{html.escape(error)}</p>' if error else ""
        if session["status"] != "open":
            body = f"{alert}<p>このお支払いは終了しています（{html.escape(session['status'])}）。 This checkout has ended.</p>"
            return _html("お支払い Checkout", body)
        action = f"{PREFIX}/checkout/{session['id']}/pay"
        cancel = html.escape(session["cancel_url"] or "/")
        body = (
            f"{alert}<p>ローカルの決済シミュレーターです。実際の請求は発生しません。"
            " Local payment simulator; nothing is charged.</p>"
            f"<ul>{items}</ul><p class=\"fee-total\">合計 Total: {amount}円 (JPY)</p>"
            f'<form method="post" action="{action}"><fieldset><legend>お支払い方法 Payment method</legend>'
            '<p><label><input type="radio" name="outcome" value="card_success" checked> '
            "カード（成功） Card 4242 4242 4242 4242 (succeeds)</label></p>"
            '<p><label><input type="radio" name="outcome" value="card_declined"> '
            "カード（拒否） Card 4000 0000 0000 0002 (declined)</label></p>"
            '<p><label><input type="radio" name="outcome" value="konbini"> コンビニ払い Konbini</label></p>'
            "</fieldset>"
            f'<button type="submit" class="button button-primary">支払う Pay {amount}円</button></form>'
            f'<p><a href="{cancel}">戻る（支払わない） Back without paying</a></p>'
        )
        return _html("お支払い Checkout", body)

    def _konbini_page(self, session: dict[str, Any], done: bool = False) -> Response:
        intent = self.intents[session["payment_intent"]]
        action = f"{PREFIX}/konbini/{session['id']}/pay"
        if done or intent["status"] in ("succeeded", "canceled"):
            body = f"<p role=\"status\">この払込票は処理済みです（{html.escape(intent['status'])}）。 This voucher is settled.</p>"
            return _html("コンビニ払込票 Konbini voucher", body)
        success = html.escape(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]))
        body = (
            f"<p>お支払い番号 Payment number: <strong>{session['id'][-8:].upper()}</strong>"
            f"　金額 Amount: {session['amount_total']:,}円</p>"
            f'<form method="post" action="{action}">'
            '<button type="submit" name="outcome" value="konbini_paid" class="button button-primary">'
            "店頭で支払った Paid at the store</button> "
            '<button type="submit" name="outcome" value="konbini_expired" class="button">'
            "期限切れにする Let the voucher expire</button></form>"
            f'<p><a href="{success}">申請サイトに戻る Back to the application site</a></p>'
        )
        return _html("コンビニ払込票 Konbini voucher", body)


class _StripeError(Exception):
    def __init__(self, status: int, error_type: str, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.type, self.code, self.message = status, error_type, code, message


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, content_type="application/json")


def _html(title: str, body: str, status: int = 200) -> Response:
    page = (
        '<!doctype html><html lang="ja"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}（ローカル）</title>"
        '<link rel="stylesheet" href="/static/app.css"></head><body>'
        f'<main id="main" class="container"><h1>{html.escape(title)}</h1>{body}</main></body></html>'
    )
    return Response(page, status=status, content_type="text/html; charset=utf-8")
