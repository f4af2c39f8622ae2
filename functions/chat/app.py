"""Chatbot API (Chalice): its own function because the Japanese dictionary is large.

The tokeniser dictionary ships in the ChatLayer; keeping it out of the API
function keeps that function's cold start and package size small.
"""

from __future__ import annotations

import csv
import io
import json
import os

from aws_lambda_powertools import Logger
from chalice import Chalice, Response
from madoguchi.chat import answer_question, list_unanswered_by_frequency, set_unanswered_store
from madoguchi.chat.dynamodb_store import DynamoDBUnansweredQuestionStore
from madoguchi.i18n import normalize_locale
from madoguchi.web.requests import staff_token_problem
from madoguchi.web.responses import error_response, json_response

app = Chalice(app_name="madoguchi-chat")
logger = Logger(service="chat")

_store = DynamoDBUnansweredQuestionStore(os.environ.get("TABLE_NAME", ""))
set_unanswered_store(_store)

MAX_BODY_BYTES = 4096


@app.route("/api/chat", methods=["POST"])
def chat() -> Response:
    raw = app.current_request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        return error_response(413, "message_too_long", "chat.message_too_long")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return error_response(400, "invalid_json", "api.invalid_json")
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return error_response(400, "invalid_request", "api.invalid_request", params={"detail": "message (string)"})

    locale = normalize_locale(body.get("locale") if isinstance(body.get("locale"), str) else None)
    answer = answer_question(body["message"], locale)
    return json_response(answer.model_dump(mode="json"))


def _excel_safe(text: str) -> str:
    """Prefix text that Excel would run as a formula (a resident typed it) with a quote."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@app.route("/api/chat/unanswered", methods=["GET"])
def unanswered_questions() -> Response:
    """List masked unanswered questions by frequency, as JSON or (``?format=csv``) CSV for Excel."""
    problem = staff_token_problem(app.current_request)
    if problem:
        return error_response(401, problem, f"api.{problem}")

    frequencies = list_unanswered_by_frequency(_store, limit=200)
    rows = [
        {
            "text": item.text,
            "count": item.count,
            "unanswered_count": item.unanswered_count,
            "locale": item.locale,
            "last_asked_at": item.last_asked_at.isoformat(),
        }
        for item in frequencies
    ]
    if (app.current_request.query_params or {}).get("format") != "csv":
        return json_response({"questions": rows})

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["質問（マスク済み）", "件数", "回答できなかった件数", "言語", "最終受付日時"])
    for row in rows:
        writer.writerow(
            [_excel_safe(row["text"]), row["count"], row["unanswered_count"], row["locale"], row["last_asked_at"]]
        )
    return Response(
        body="\ufeff" + buffer.getvalue(),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": "attachment; filename*=UTF-8''unanswered-questions.csv",
            "Cache-Control": "no-store",
        },
    )
