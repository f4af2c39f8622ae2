"""Attachments API (Chalice): presigned uploads, upload state, and staff downloads."""

from __future__ import annotations

import json

from aws_lambda_powertools import Logger
from chalice import Chalice, Response
from madoguchi.attachments.service import (
    AttachmentNotAvailable,
    UploadNotFound,
    UploadRequest,
    UploadRequestInvalid,
    create_upload,
    download_url,
    upload_status,
)
from madoguchi.procedures import ProcedureNotFound
from madoguchi.web.errors import error_mapper
from madoguchi.web.responses import error_response, html_response, json_response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

app = Chalice(app_name="madoguchi-uploads")
logger = Logger(service="uploads")


class UploadBody(BaseModel):
    """Body of ``POST /api/uploads``: one file that the browser is about to send."""

    model_config = ConfigDict(extra="forbid")

    procedure_id: str = Field(min_length=1, max_length=100)
    field_id: str = Field(min_length=1, max_length=100)
    file_name: str = Field(min_length=1, max_length=1000)
    content_type: str = Field(max_length=100)
    size: int = Field(ge=0, description="bytes")


mapped_errors = error_mapper(
    app,
    logger,
    lambda: {ProcedureNotFound: (404, "procedure_not_found", "api.procedure_not_found")},
)


@app.route("/api/uploads", methods=["POST"])
@mapped_errors
def create_upload_url() -> Response:
    try:
        body = UploadBody.model_validate(json.loads((app.current_request.raw_body or b"").decode("utf-8")))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return error_response(400, "invalid_json", "api.invalid_json")
    except ValidationError:
        return error_response(
            400, "invalid_request", "api.invalid_request",
            params={"detail": "procedure_id, field_id, file_name, content_type (strings), size (bytes)"},
        )
    request = UploadRequest(**body.model_dump())
    try:
        result = create_upload(request)
    except UploadRequestInvalid as exc:
        return error_response(
            422, "upload_invalid", exc.code, params=exc.params, field=request.field_id
        )
    logger.info("upload created", extra={"upload_id": result["upload_id"], "field_id": request.field_id})
    return json_response(result, 201, headers={"Location": f"/api/uploads/{result['upload_id']}"})


@app.route("/api/uploads/{upload_id}", methods=["GET"])
@mapped_errors
def get_upload(upload_id: str) -> Response:
    try:
        return json_response(upload_status(upload_id))
    except UploadNotFound:
        return error_response(404, "upload_not_found", "attachments.upload_unknown")


@app.route("/approvals/{task_id}/attachments/{upload_id}", methods=["GET"])
@mapped_errors
def download_attachment(task_id: str, upload_id: str) -> Response:
    """Redirect an approver to a short-lived presigned GET that downloads the file."""
    from madoguchi.i18n import translate
    from madoguchi.web.pages import render_message

    try:
        url = download_url(task_id, upload_id)
    except AttachmentNotAvailable:
        # Staff pages are in Japanese, like the approval page itself.
        message = translate("pages.approval_attachment_missing", "ja")
        return html_response(render_message(message, "ja"), 404)
    return Response(
        body="",
        status_code=303,
        headers={"Location": url, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )
