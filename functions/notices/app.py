"""Notice routes (Chalice): the public verification page and the applicant's download."""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP

from aws_lambda_powertools import Logger
from chalice import Chalice, Response
from madoguchi.i18n import normalize_locale, translate
from madoguchi.web.errors import ErrorMapping, error_mapper
from madoguchi.web.requests import bearer_token
from madoguchi.web.responses import SECURITY_HEADERS, html_response

app = Chalice(app_name="madoguchi-notices")
# Uploaded PDFs and downloaded notices are bytes: Chalice passes them base64-encoded.
app.api.binary_types.extend(["application/pdf", "multipart/form-data"])
logger = Logger(service="notices")

# A notice is about 250 kB; the limit leaves room for signed and re-saved copies.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def _locale() -> str:
    request = app.current_request
    query = request.query_params or {}
    if query.get("lang"):
        return normalize_locale(query["lang"])
    accept = (request.headers or {}).get("accept-language", "")
    return normalize_locale(accept.split(",")[0] if accept else None)


def _notice_errors() -> dict[type[Exception], ErrorMapping]:
    from madoguchi.applications.service import ApplicationAccessDenied
    from madoguchi.notices.service import NoticeNotFound

    return {
        ApplicationAccessDenied: (404, "application_not_found", "api.application_not_found"),
        NoticeNotFound: (404, "notice_not_found", "notices.not_ready"),
    }


def _error_page() -> Response:
    from madoguchi.web.pages import render_error

    return html_response(render_error(500, _locale()), 500)


mapped_errors = error_mapper(app, logger, _notice_errors, error_page=_error_page)


def _verify_page(locale: str, code: str = "", status_code: int = 200, **result: object) -> Response:
    from madoguchi.web.pages import render_page

    def tn(key: str, **params: object) -> str:
        return translate(f"notices.{key}", locale, **params)

    page = render_page(
        "notice_verify.html",
        locale,
        "/notices/verify",
        tn=tn,
        code=code,
        outcome=result.get("outcome"),
        notice=result.get("notice"),
        uploaded_sha256=result.get("uploaded_sha256"),
    )
    return html_response(page, status_code)


@app.route("/notices/verify", methods=["GET"])
@mapped_errors
def verification_page() -> Response:
    """Show the verification form, and the stored details when ``code`` is given (the QR link)."""
    from madoguchi.notices.service import verification_view, verify_code

    locale = _locale()
    code = (app.current_request.query_params or {}).get("code", "")
    if not code:
        return _verify_page(locale)
    view = verification_view(verify_code(code))
    status_code = {"valid": 200, "unknown_code": 404, "invalid_code": 400}[view["outcome"]]
    if view["outcome"] == "valid":
        view["outcome"] = "valid_code"
    return _verify_page(locale, code, status_code, **view)


@app.route(
    "/notices/verify", methods=["POST"],
    content_types=["multipart/form-data", "application/pdf", "application/x-www-form-urlencoded"],
)
@mapped_errors
def verify_uploaded_notice() -> Response:
    """Compare an uploaded PDF (a form's ``file`` part, or the raw body with
    ``Content-Type: application/pdf`` and ``?code=``) with the stored notice."""
    from madoguchi.notices.service import verification_view, verify_code, verify_upload

    request = app.current_request
    locale = _locale()
    content_type = (request.headers or {}).get("content-type", "")
    body = request.raw_body or b""
    if len(body) > MAX_UPLOAD_BYTES:
        message = translate("notices.file_too_large", locale, max_mb=MAX_UPLOAD_BYTES // 2**20)
        from madoguchi.web.pages import render_message

        return html_response(render_message(message, locale), 413)

    code = (request.query_params or {}).get("code", "")
    pdf = b""
    if content_type.startswith("application/pdf"):
        pdf = body
    else:
        fields = _form_fields(content_type, body)
        code = fields.get("code", b"").decode("utf-8", errors="replace").strip() or code
        pdf = fields.get("file", b"")

    result = verify_upload(pdf, code or None) if pdf else verify_code(code)
    view = verification_view(result)
    status_code = {
        "valid": 200, "altered": 422, "unknown_code": 404, "invalid_code": 400, "no_code_in_file": 422,
    }[view["outcome"]]
    if view["outcome"] == "valid" and pdf:
        view["outcome"] = "valid_file"
    elif view["outcome"] == "valid":
        view["outcome"] = "valid_code"
    return _verify_page(locale, code, status_code, **view)


def _form_fields(content_type: str, body: bytes) -> dict[str, bytes]:
    """Parse multipart/form-data (RFC 7578) or a URL-encoded form into name → bytes."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        from urllib.parse import parse_qs

        parsed = parse_qs(body.decode("utf-8", errors="replace"))
        return {name: values[0].encode("utf-8") for name, values in parsed.items()}
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body
    )
    fields: dict[str, bytes] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name and name not in fields:
            fields[str(name)] = part.get_payload(decode=True) or b""
    return fields


@app.route("/api/applications/{reference_number}/notice", methods=["GET"])
@mapped_errors
def download_notice(reference_number: str) -> Response:
    """Return the applicant's notice PDF; the Bearer token is the status page's access key."""
    from madoguchi.applications.service import get_application_for_applicant
    from madoguchi.attachments.files import attachment_disposition
    from madoguchi.notices.service import download_file_name, notice_for_applicant

    record = get_application_for_applicant(reference_number, bearer_token(app.current_request))
    notice, pdf = notice_for_applicant(record.reference_number)
    return Response(
        body=pdf,
        status_code=200,
        headers={
            "Content-Type": "application/pdf",
            "Content-Disposition": attachment_disposition(download_file_name(notice)),
            "Cache-Control": "no-store",
            **SECURITY_HEADERS,
        },
    )
