"""HTTP front of the local stack on 127.0.0.1: plays API Gateway for the Chalice app
and serves the mail outbox under ``/_local/``."""

from __future__ import annotations

import base64
import html
import json
import re
import threading
from collections.abc import Callable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from infra.local import outbox

_URL = re.compile(r"https?://[^\s<>\"]+")
_ATTACHMENT_PATH = re.compile(r"/_local/outbox/([^/]+)/attachments/([0-9]+)")


def _outbox_page(messages: list[dict[str, Any]]) -> str:
    items = []
    for message in messages:
        text = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', html.escape(message["text"]))
        items.append(
            "<article class=\"card\">"
            f"<h2>{html.escape(message['subject'])}</h2>"
            f"<p class=\"hint\">宛先 To: {html.escape(', '.join(message['to']))}"
            f" ／ 送信 Sent: {html.escape(message['sent_at'])}</p>"
            f"<pre class=\"mail-body\">{text}</pre>{_attachment_list(message)}</article>"
        )
    body = "".join(items) or "<p>まだメールはありません。 No e-mail yet.</p>"
    return (
        "<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>送信メール（ローカル） Local outbox</title>"
        "<link rel=\"stylesheet\" href=\"/static/app.css\"></head><body>"
        "<main id=\"main\" class=\"container\"><h1>送信メール（ローカル） Local outbox</h1>"
        "<p>ローカル環境で送信されたメールです。SES には届いていません。"
        " E-mail sent by the local stack; nothing left this machine.</p>"
        f"{body}</main></body></html>"
    )


def _attachment_list(message: dict[str, Any]) -> str:
    links = "".join(
        f'<li><a href="{html.escape(item["path"])}">{html.escape(item["file_name"])}</a>'
        f' ({item["size"]:,} bytes)</li>'
        for item in message.get("attachments", [])
    )
    return f"<p>添付 Attachments:</p><ul>{links}</ul>" if links else ""


class FrontApplication:
    """WSGI application: ``/_local/*`` here, everything else through the Chalice app
    whose routes match the path, as API Gateway routes each resource to its function."""

    def __init__(self, gateways: list[tuple[Any, Any]], account_id: str, region: str) -> None:
        # (chalice.local.RouteMatcher, chalice.local.LocalGateway) per function
        self._gateways = gateways
        self._account_id = account_id
        self._region = region
        # Chalice's app object keeps the current request in an attribute, so one
        # request at a time goes through each app, as one Lambda instance would serve
        # it. Each function has its own lock, so a slow request to one function does
        # not hold up the others.
        self._locks = {id(gateway): threading.Lock() for _, gateway in gateways}
        # The payment simulator (infra/local/stripe_simulator.py), set by the stack.
        self.stripe_simulator: Any = None
        self._gateway_responses = gateway_responses()

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        if request.path == "/_local/outbox.json":
            messages = outbox.list_messages(self._account_id, self._region)
            response = Response(json.dumps(messages, ensure_ascii=False), content_type="application/json; charset=utf-8")
        elif request.path in ("/_local/outbox", "/_local/outbox/"):
            messages = outbox.list_messages(self._account_id, self._region)
            response = Response(_outbox_page(messages), content_type="text/html; charset=utf-8")
        elif _ATTACHMENT_PATH.fullmatch(request.path):
            response = self._outbox_attachment(request.path)
        elif self.stripe_simulator is not None and request.path.startswith("/_local/stripe/"):
            return self.stripe_simulator.wsgi(environ, start_response)
        else:
            response = self._through_gateway(request)
        return response(environ, start_response)

    def _outbox_attachment(self, path: str) -> Response:
        from urllib.parse import quote

        message_id, index = _ATTACHMENT_PATH.fullmatch(path).groups()
        found = outbox.attachment(self._account_id, self._region, message_id, int(index))
        if found is None:
            return Response("not found", status=404, content_type="text/plain; charset=utf-8")
        file_name, content_type, data = found
        disposition = f"attachment; filename*=UTF-8''{quote(file_name, safe='')}"
        return Response(data, content_type=content_type, headers={"Content-Disposition": disposition})

    def _through_gateway(self, request: Request) -> Response:
        from chalice.local import LocalGatewayException

        path = request.full_path.rstrip("?") if request.query_string else request.path
        headers = {key.lower(): value for key, value in request.headers.items()}
        body = request.get_data()
        gateway = self._gateway_for(request.path)
        try:
            with self._locks[id(gateway)]:
                result = gateway.handle_request(request.method, path, headers, body)
        except LocalGatewayException as exc:
            return self._gateway_response(exc)

        payload = result.get("body") or b""
        if result.get("isBase64Encoded"):
            payload = base64.b64decode(payload)
        response = Response(payload, status=result["statusCode"])
        response.headers.clear()
        for key, value in (result.get("headers") or {}).items():
            response.headers[key] = value
        for key, values in (result.get("multiValueHeaders") or {}).items():
            for value in values:
                response.headers.add(key, value)
        if request.method == "HEAD":
            response.set_data(b"")
        return response


    def _gateway_response(self, exc: Any) -> Response:
        """Return the response API Gateway gives for its own errors, from the template's GatewayResponses."""
        if b"Missing Authentication Token" in (exc.body or b""):
            kind = "MISSING_AUTHENTICATION_TOKEN"
        else:
            kind = "DEFAULT_4XX" if exc.CODE < 500 else "DEFAULT_5XX"
        configured = self._gateway_responses.get(kind)
        if configured is None:
            return Response(exc.body, status=exc.CODE, headers=exc.headers)
        status, headers, body = configured
        return Response(body, status=status or exc.CODE, headers=headers, content_type="application/json")

    def _gateway_for(self, path: str) -> Any:
        for matcher, gateway in self._gateways:
            try:
                matcher.match_route(path)
            except ValueError:
                continue
            return gateway
        # No route matches, so the first gateway returns 403 as API Gateway does.
        return self._gateways[0][1]


def gateway_responses() -> dict[str, tuple[int | None, dict[str, str], str]]:
    """Return the Api's GatewayResponses from template.yaml: status, static headers, JSON body."""
    from infra.local.provision import load_template

    configured = load_template()["Resources"]["Api"]["Properties"].get("GatewayResponses", {})
    responses = {}
    for kind, response in configured.items():
        headers = {
            # Static values are quoted in single quotes, as API Gateway requires.
            name: value.strip("'")
            for name, value in response.get("ResponseParameters", {}).get("Headers", {}).items()
        }
        status = int(response["StatusCode"]) if "StatusCode" in response else None
        responses[kind] = (status, headers, response["ResponseTemplates"]["application/json"])
    return responses


def serve(application: FrontApplication, host: str, port: int) -> BaseWSGIServer:
    """Start a threaded server in the background and return it; ``server_port`` is its port."""
    server = make_server(host, port, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="madoguchi-front")
    thread.start()
    return server
