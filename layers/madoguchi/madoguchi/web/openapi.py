"""OpenAPI 3.1 description of every route, generated from the Chalice routes and the catalog."""

from __future__ import annotations

import re
from typing import Any

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
                    "enum": [
                        "submitted", "under_review", "returned", "approved",
                        "rejected", "completed", "withdrawn", "expired",
                    ],
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
