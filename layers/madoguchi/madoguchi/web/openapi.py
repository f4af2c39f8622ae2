"""OpenAPI 3.1 description of every route, generated from the Chalice routes and the catalog."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from madoguchi.applications.status import ApplicationStatus
from madoguchi.procedures.models import ProcedureDefinition

_ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "Machine-readable error code"},
        "message": {"$ref": "#/components/schemas/LocalizedText"},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
    },
}

_COMPONENTS: dict[str, Any] = {
    "schemas": {
        "LocalizedText": {
            "type": "object",
            "required": ["ja", "en"],
            "properties": {"ja": {"type": "string"}, "en": {"type": "string"}},
        },
        "FieldError": {
            "type": "object",
            "required": ["field", "code", "ja", "en"],
            "properties": {
                "field": {"type": "string", "description": "Field id; empty for the whole set"},
                "code": {"type": "string"},
                "ja": {"type": "string"},
                "en": {"type": "string"},
            },
        },
        "Error": _ERROR,
        "Submission": {
            "type": "object",
            "required": ["procedure_id", "answers"],
            "properties": {
                "procedure_id": {"type": "string"},
                "answers": {
                    "type": "object",
                    "description": "Answers keyed by field id; see answers_schema of the procedure",
                },
                "locale": {"type": "string", "enum": ["ja", "en"], "default": "ja"},
            },
        },
        "Submitted": {
            "type": "object",
            "required": ["reference_number", "access_token", "status"],
            "properties": {
                "reference_number": {"type": "string", "examples": ["2026-7K2Q-9XM4"]},
                "access_token": {"type": "string", "description": "Bearer token for the status"},
                "status": {"type": "string"},
                "status_url": {"type": "string"},
                "procedure_id": {"type": "string"},
                "submitted_at": {"type": "string", "format": "date-time"},
            },
        },
        "ApplicationStatus": {
            "type": "object",
            "properties": {
                "reference_number": {"type": "string"},
                "status": {
                    "type": "string",
                    "enum": [status.value for status in ApplicationStatus],
                },
                "status_label": {"$ref": "#/components/schemas/LocalizedText"},
                "history": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "at": {"type": "string", "format": "date-time"},
                            "event": {"type": "string"},
                            "status": {"type": "string"},
                            "label": {"$ref": "#/components/schemas/LocalizedText"},
                            "comment": {"type": ["string", "null"]},
                        },
                    },
                },
            },
        },
    },
    "securitySchemes": {
        "applicantToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "access_token returned when the application was submitted",
        }
    },
}


def _json(schema_ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": _json("Error")}


def _operations(example: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    submission_example = {
        "procedure_id": example["procedure_id"],
        "answers": example["answers"],
        "locale": "ja",
    }
    html = {"text/html": {"schema": {"type": "string"}}}
    return {
        ("/api/procedures", "GET"): {
            "summary": "List procedures",
            "responses": {"200": {"description": "Procedures with titles, department, fee, window"}},
        },
        ("/api/procedures/{procedure_id}", "GET"): {
            "summary": "Get a procedure definition and its answers_schema (JSON Schema 2020-12)",
            "responses": {"200": {"description": "Definition"}, "404": _error("Unknown id")},
        },
        ("/api/procedures/{procedure_id}/validation", "POST"): {
            "summary": "Check answers without submitting (for the confirmation screen)",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "properties": {"answers": {"type": "object"}}},
                        "example": {"answers": example["answers"], "locale": "ja"},
                    }
                },
            },
            "responses": {
                "200": {"description": "Valid; normalised answers and fee"},
                "422": _error("Invalid answers (one entry per field) or window closed"),
            },
        },
        ("/api/postal-codes/{postal_code}", "GET"): {
            "summary": "Look up the address of a postal code (offline Japan Post data)",
            "responses": {"200": {"description": "Address"}, "404": _error("Unknown code")},
        },
        ("/api/openapi.json", "GET"): {
            "summary": "This document",
            "responses": {"200": {"description": "OpenAPI 3.1"}},
        },
        ("/api/applications", "POST"): {
            "summary": "Submit an application",
            "parameters": [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "maxLength": 255},
                    "description": "The same key and body return the same application",
                }
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/Submission"},
                        "example": submission_example,
                    }
                },
            },
            "responses": {
                "201": {"description": "Received", "content": _json("Submitted")},
                "400": _error("Body is not JSON or misses procedure_id"),
                "404": _error("Unknown procedure"),
                "409": _error("The same Idempotency-Key is still in progress"),
                "422": _error("Invalid answers, closed window or reused Idempotency-Key"),
            },
        },
        ("/api/applications/{reference_number}", "GET"): {
            "summary": "Get the status and history of an application",
            "security": [{"applicantToken": []}],
            "responses": {
                "200": {"description": "Status", "content": _json("ApplicationStatus")},
                "404": _error("Unknown number or wrong token (indistinguishable)"),
            },
        },
        ("/", "GET"): {"summary": "Home page", "responses": {"200": {"description": "HTML", "content": html}}},
        ("/procedures/{procedure_id}", "GET"): {
            "summary": "Form page of a procedure",
            "responses": {"200": {"description": "HTML", "content": html}},
        },
        ("/status", "GET"): {
            "summary": "Status lookup page",
            "responses": {"200": {"description": "HTML", "content": html}},
        },
        ("/status/{reference_number}", "GET"): {
            "summary": "Status page (the access token is read from the URL fragment)",
            "responses": {"200": {"description": "HTML", "content": html}},
        },
        ("/approvals/{task_id}", "GET"): {
            "summary": "Approval page; shows the application and never decides",
            "responses": {
                "200": {"description": "HTML form", "content": html},
                "404": {"description": "Unknown link"},
                "409": {"description": "Already decided"},
                "410": {"description": "Expired"},
            },
        },
        ("/approvals/{task_id}", "HEAD"): {
            "summary": "Same as GET without a body (link checkers, mail scanners)",
            "responses": {"200": {"description": "Headers only"}},
        },
        ("/approvals/{task_id}", "POST"): {
            "summary": "Record a decision; only the first valid POST decides",
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {
                            "type": "object",
                            "required": ["decision", "csrf_token"],
                            "properties": {
                                "decision": {"type": "string", "enum": ["approve", "reject", "return"]},
                                "comment": {"type": "string"},
                                "csrf_token": {"type": "string"},
                            },
                        },
                        "example": {
                            "decision": "approve",
                            "comment": "",
                            "csrf_token": "token-from-the-approval-page",
                        },
                    }
                },
            },
            "responses": {
                "200": {"description": "Recorded", "content": html},
                "409": {"description": "Already decided or wrong CSRF token"},
                "410": {"description": "Expired"},
                "422": {"description": "No decision chosen or reason missing"},
            },
        },
        ("/static/{name}", "GET"): {
            "summary": "Stylesheet or script of the pages",
            "responses": {"200": {"description": "Asset"}, "404": {"description": "Unknown"}},
        },
        ("/api/health", "GET"): {
            "summary": "Liveness check",
            "responses": {"200": {"description": "OK"}},
        },
    }


def build_openapi(routes: dict[str, dict[str, Any]], catalog: dict[str, ProcedureDefinition]) -> dict:
    """Describe every route of ``routes`` (Chalice's ``app.routes``).

    Raises:
        KeyError: a route has no description here; a test keeps the two in step.
    """
    definition = catalog.get("cook-employment-notification") or next(iter(catalog.values()))
    example = {"procedure_id": definition.id, "answers": definition.example_answers[0]}
    operations = _operations(example)
    paths: dict[str, dict[str, Any]] = {}
    for path, methods in routes.items():
        for method in methods:
            operation = dict(operations[(path, method)])
            parameters = [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in re.findall(r"{(\w+)}", path)
            ]
            operation["parameters"] = parameters + operation.get("parameters", [])
            operation["operationId"] = f"{method.lower()}_{re.sub(r'[^a-z0-9]+', '_', path.lower()).strip('_') or 'root'}"
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "madoguchi API",
            "version": "1",
            "description": "Online applications for prefectural procedures. Messages come in ja and en.",
        },
        "paths": paths,
        "components": _COMPONENTS,
    }


# --- routes of the other functions ---------------------------------------------------------
#
# The API function serves one document for the whole site, generated from every Chalice
# function of template.yaml by infra/generate_openapi.py (see build_site_openapi) and
# shipped in the layer as openapi.json, because each function deploys only its own code.

_SUMMARIES: dict[tuple[str, str], str] = {
    ("/api/chat", "POST"): "Ask the chatbot a question; answers come from the FAQ and procedures",
    ("/api/identity/email/codes", "POST"): "Send a one-time code to an e-mail address",
    ("/api/identity/email/verifications", "POST"): "Check a one-time code sent by e-mail",
    ("/api/uploads", "POST"): "Get a presigned POST for one attachment",
    ("/api/uploads/{upload_id}", "GET"): "Get an upload's check result (pending, accepted, rejected)",
    ("/api/applications/{reference_number}/answers", "GET"): "Get the current answers for a correction",
    ("/api/applications/{reference_number}/resubmissions/validation", "POST"): (
        "Check corrected answers before the confirmation screen; nothing is stored"
    ),
    ("/api/applications/{reference_number}/resubmissions", "POST"): "Resubmit corrected answers after a return",
    ("/api/applications/{reference_number}/withdrawal", "POST"): "Withdraw an application before the decision",
    ("/api/applications/{reference_number}/audit", "GET"): "Export an application's hash-chained audit trail (staff)",
    ("/dashboard", "GET"): "Digitalisation dashboard page",
    ("/api/dashboard", "GET"): "Dashboard figures as JSON",
    ("/api/opendata", "GET"): "Index of the published open data",
    ("/api/opendata/{name}", "GET"): "One open-data file (CSV, JSON, dictionary, licence)",
    ("/api/inventory", "POST"): "Import the procedure inventory CSV (staff)",
    ("/api/inventory.csv", "GET"): "Export the procedure inventory CSV (staff)",
    ("/api/webhooks/stripe", "POST"): "Stripe webhook; verified on the raw body",
    ("/payments/complete", "GET"): "Page after Checkout; shows the state stored on the server",
    ("/payments/cancelled", "GET"): "Page after a cancelled Checkout",
    ("/status/{reference_number}/receipt", "GET"): "Receipt (領収書) page",
    ("/api/applications/{reference_number}/receipt", "GET"): "Receipt as JSON",
    ("/staff/callback", "GET"): "Staff sign-in callback from the OpenID provider",
    ("/staff/logout", "POST"): "Sign a staff member out",
    ("/api/staff/exports/{export_id}", "GET"): "State and download links of a staff export",
}

_EXAMPLE_REFERENCE = "2026-7K2Q-9XM4"

_REQUEST_EXAMPLES: dict[tuple[str, str], tuple[str, Any]] = {
    ("/api/chat", "POST"): ("application/json", {"message": "狩猟免許の手数料はいくら？", "locale": "ja"}),
    ("/api/identity/email/codes", "POST"): (
        "application/json",
        {"procedure_id": "cook-employment-notification", "email": "taro@example.jp", "locale": "ja"},
    ),
    ("/api/identity/email/verifications", "POST"): (
        "application/json",
        {"session_id": "session-id-from-the-code-request", "code": "123456"},
    ),
    ("/api/uploads", "POST"): (
        "application/json",
        {
            "procedure_id": "hunting-licence-exam",
            "field_id": "medical_certificate",
            "file_name": "診断書.pdf",
            "content_type": "application/pdf",
            "size": 183204,
        },
    ),
    ("/api/applications/{reference_number}/resubmissions", "POST"): (
        "application/json",
        {"answers": {"workplace_name": "食堂まどぐち 本店"}, "locale": "ja"},
    ),
    ("/api/applications/{reference_number}/resubmissions/validation", "POST"): (
        "application/json",
        {"answers": {"workplace_name": "食堂まどぐち 本店"}},
    ),
    ("/api/applications/{reference_number}/withdrawal", "POST"): (
        "application/json",
        {"reason": "別の方法で手続を済ませたため"},
    ),
    ("/api/inventory", "POST"): (
        "text/csv",
        "手続ID,手続名,所管部局,根拠区分,押印,…\nP0001,狩猟免許試験の申請,環境森林部,法律・政令,廃止済,…\n",
    ),
    ("/api/webhooks/stripe", "POST"): (
        "application/json",
        {
            "id": "evt_1example",
            "type": "checkout.session.completed",
            "created": 1796000000,
            "data": {
                "object": {
                    "id": "cs_test_example",
                    "amount_total": 10400,
                    "currency": "jpy",
                    "payment_status": "paid",
                    "metadata": {"reference_number": _EXAMPLE_REFERENCE},
                }
            },
        },
    ),
    ("/api/applications/{reference_number}/payment/session", "POST"): ("application/json", {}),
    ("/notices/verify", "POST"): ("application/pdf", "%PDF-1.7 … (the notice file as received)"),
    ("/staff/logout", "POST"): ("application/x-www-form-urlencoded", {}),
    ("/api/staff/exports", "POST"): (
        "application/json",
        {"procedure_id": "cook-licence", "from": "2026-04-01", "to": "2027-03-31"},
    ),
}

_BODY_METHODS = ("POST", "PUT", "PATCH")


def _generic_operation(path: str, method: str, view: Any) -> dict[str, Any]:
    """Describe a route of a function other than the API function from its view."""
    doc = (getattr(view, "__doc__", None) or "").strip()
    summary = _SUMMARIES.get((path, method)) or (doc.split("\n")[0] if doc else "")
    if not summary:
        raise KeyError(f"no summary for {method} {path}: add a docstring or a _SUMMARIES entry")
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": {
            "200": {"description": "Success"},
            "4XX": {"description": "Invalid request; the body says what to change in ja and en"},
        },
    }
    if doc and "\n" in doc:
        operation["description"] = doc
    if method in _BODY_METHODS:
        content_type, example = _REQUEST_EXAMPLES[(path, method)]
        operation["requestBody"] = {
            "required": True,
            "content": {content_type: {"schema": {}, "example": example}},
        }
    return operation


def build_site_openapi(
    apps: dict[str, Any], catalog: dict[str, ProcedureDefinition]
) -> dict[str, Any]:
    """Describe every route of every Chalice function (``apps``: logical id → app).

    Raises:
        KeyError: a route has no summary or a request body has no example.
    """
    document = build_openapi(apps["ApiFunction"].routes, catalog)
    for logical_id, app in sorted(apps.items()):
        if logical_id == "ApiFunction":
            continue
        for path, methods in app.routes.items():
            for method, entry in methods.items():
                operation = _generic_operation(path, method, entry.view_function)
                parameters = [
                    {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                    for name in re.findall(r"{(\w+)}", path)
                ]
                if parameters:
                    operation["parameters"] = parameters
                slug = re.sub(r"[^a-z0-9]+", "_", path.lower()).strip("_")
                operation["operationId"] = f"{method.lower()}_{slug}"
                operation["x-function"] = logical_id
                document["paths"].setdefault(path, {})[method.lower()] = operation
    document["paths"] = dict(sorted(document["paths"].items()))
    return document


@cache
def published_document() -> dict[str, Any]:
    """Return the site's OpenAPI document as generated into ``openapi.json``."""
    path = Path(__file__).with_name("openapi.json")
    return json.loads(path.read_text(encoding="utf-8"))
