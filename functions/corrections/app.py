"""Resident corrections and staff audit export (Chalice).

Residents authenticate with the application's access token (``Authorization:
Bearer …``): current answers, resubmission after a return, withdrawal. Staff export
the audit trail with the staff token.
"""

from __future__ import annotations

import json

from aws_lambda_powertools import Logger
from chalice import Chalice, Response
from madoguchi.applications import repository, tokens
from madoguchi.applications.service import ApplicationAccessDenied
from madoguchi.audit.anchor_check import anchored_audit_export
from madoguchi.corrections.service import (
    NotReturned,
    VersionConflict,
    WithdrawalNotAllowed,
    check_resubmission,
    current_answers,
    resubmit_application,
    withdraw_application,
)
from madoguchi.procedures.errors import AnswersInvalid
from madoguchi.web.errors import error_mapper
from madoguchi.web.requests import bearer_token, staff_token_problem
from madoguchi.web.responses import error_response, json_response

app = Chalice(app_name="madoguchi-corrections")
logger = Logger(service="corrections")


def _bearer() -> str | None:
    return bearer_token(app.current_request)


def _invalid_answers(exc: Exception) -> Response:
    errors = [error.as_dict() for error in exc.errors]
    return error_response(422, "invalid_answers", "api.invalid_answers", errors=errors)


mapped_errors = error_mapper(
    app,
    logger,
    lambda: {
        ApplicationAccessDenied: (404, "application_not_found", "api.application_not_found"),
        AnswersInvalid: _invalid_answers,
        NotReturned: lambda exc: error_response(
            409, "not_returned", "corrections.not_returned", status=exc.status
        ),
        VersionConflict: (409, "resubmission_conflict", "corrections.version_conflict"),
        WithdrawalNotAllowed: lambda exc: error_response(
            409, "withdrawal_not_allowed", "corrections.withdrawal_not_allowed", status=exc.status
        ),
    },
)


@app.route("/api/applications/{reference_number}/answers", methods=["GET"])
@mapped_errors
def get_current_answers(reference_number: str) -> Response:
    return json_response(current_answers(reference_number, _bearer()))


def _answers_body() -> dict | Response:
    """Return the request's ``answers`` object, or the 400 response that names the problem."""
    try:
        body = json.loads((app.current_request.raw_body or b"").decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return error_response(400, "invalid_json", "api.invalid_json")
    if not isinstance(body, dict) or not isinstance(body.get("answers"), dict):
        return error_response(
            400, "invalid_request", "corrections.invalid_request", params={"detail": "answers (object)"}
        )
    return body["answers"]


@app.route("/api/applications/{reference_number}/resubmissions/validation", methods=["POST"])
@mapped_errors
def validate_resubmission(reference_number: str) -> Response:
    """Check corrected answers before the confirmation screen; nothing is stored."""
    answers = _answers_body()
    if isinstance(answers, Response):
        return answers

    return json_response(check_resubmission(reference_number, _bearer(), answers))


@app.route("/api/applications/{reference_number}/resubmissions", methods=["POST"])
@mapped_errors
def create_resubmission(reference_number: str) -> Response:
    answers = _answers_body()
    if isinstance(answers, Response):
        return answers

    result = resubmit_application(reference_number, _bearer(), answers)
    reference = result["reference_number"]
    return json_response(result, 201, headers={"Location": f"/api/applications/{reference}"})


@app.route("/api/applications/{reference_number}/withdrawal", methods=["POST"])
@mapped_errors
def create_withdrawal(reference_number: str) -> Response:
    return json_response(withdraw_application(reference_number, _bearer()))


@app.route("/api/applications/{reference_number}/audit", methods=["GET"])
@mapped_errors
def export_audit_trail(reference_number: str) -> Response:
    problem = staff_token_problem(app.current_request)
    if problem:
        return error_response(401, problem, f"api.{problem}")
    try:
        record = repository.get_application(tokens.normalize_reference_number(reference_number))
    except repository.ApplicationNotFound:
        return error_response(404, "application_not_found", "api.application_not_found")
    logger.info("audit trail exported", extra={"reference_number": record.reference_number})
    return json_response(anchored_audit_export(record))
