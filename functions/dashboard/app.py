"""Digitalisation dashboard, open-data downloads and staff inventory import/export (Chalice).

Handlers check the request, call ``madoguchi.inventory`` and map the result.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from chalice import Chalice, Response
from madoguchi.i18n import normalize_locale, translate_all
from madoguchi.inventory.csv_io import InventoryCsvError
from madoguchi.inventory.dashboard import build_dashboard
from madoguchi.inventory.service import (
    CSV_CONTENT_TYPE,
    InventoryNotImported,
    OpenDataFileNotFound,
    export_inventory_csv,
    get_opendata_file,
    import_inventory_csv,
    opendata_index,
)
from madoguchi.web import pages
from madoguchi.web.dashboard_page import render_dashboard
from madoguchi.web.errors import error_mapper
from madoguchi.web.requests import staff_token_problem
from madoguchi.web.responses import SECURITY_HEADERS, error_response, html_response, json_response

app = Chalice(app_name="madoguchi-dashboard")
# Chalice hands these request bodies to the handler as raw bytes, so a CP932 file
# is not decoded as UTF-8 on the way in.
app.api.binary_types.extend(["text/csv"])
logger = Logger(service="dashboard")

# Lambda accepts at most 6 MB of request payload. The synthetic 5,264-row
# inventory written as UTF-8 CSV is 769,540 bytes.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
UPLOAD_CONTENT_TYPES = ["text/csv", "application/octet-stream"]


def _locale() -> str:
    request = app.current_request
    query = request.query_params or {}
    if query.get("lang"):
        return normalize_locale(query["lang"])
    accept = (request.headers or {}).get("accept-language", "")
    return normalize_locale(accept.split(",")[0] if accept else None)


mapped_errors = error_mapper(
    app,
    logger,
    dict,
    error_page=lambda: html_response(pages.render_error(500, _locale()), 500),
)


def _file_response(body: bytes, content_type: str, filename: str) -> Response:
    headers = {"Content-Type": content_type, "Cache-Control": "no-store", **SECURITY_HEADERS}
    if content_type.startswith("text/csv"):
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        # Chalice base64-encodes bodies of binary types, and text/csv is one here.
        return Response(body=body, headers=headers)
    return Response(body=body.decode("utf-8"), headers=headers)


# --- dashboard -----------------------------------------------------------------------------------


@app.route("/dashboard", methods=["GET"])
@mapped_errors
def dashboard_page() -> Response:
    return html_response(render_dashboard(build_dashboard(), _locale()))


@app.route("/api/dashboard", methods=["GET"])
@mapped_errors
def dashboard_data() -> Response:
    return json_response(build_dashboard().model_dump(mode="json"))


# --- open data -----------------------------------------------------------------------------------


@app.route("/api/opendata", methods=["GET"])
@mapped_errors
def opendata_list() -> Response:
    try:
        index = opendata_index()
    except OpenDataFileNotFound:
        return error_response(404, "opendata_not_published", "dashboard.error.opendata_not_published")

    def link(name: str) -> str:
        return f"/api/opendata/{name}"

    for dataset in index["datasets"]:
        dataset["urls"] = {
            "csv": link(dataset["formats"]["csv"]),
            "json": link(dataset["formats"]["json"]),
            "dictionary": link(dataset["dictionary"]),
        }
    index["licence_url"] = link(index["licence_file"])
    return json_response(index)


@app.route("/api/opendata/{name}", methods=["GET"])
@mapped_errors
def opendata_file(name: str) -> Response:
    try:
        body, content_type = get_opendata_file(name)
    except OpenDataFileNotFound:
        return error_response(
            404, "opendata_not_found", "dashboard.error.opendata_not_found", params={"name": name}
        )
    return _file_response(body, content_type, name)


# --- inventory (staff) ---------------------------------------------------------------------------


@app.route("/api/inventory", methods=["POST"], content_types=UPLOAD_CONTENT_TYPES)
@mapped_errors
def import_inventory() -> Response:
    problem = staff_token_problem(app.current_request)
    if problem:
        return error_response(401, problem, f"api.{problem}")
    data = app.current_request.raw_body or b""
    if not data:
        return error_response(400, "upload_empty", "dashboard.error.upload_empty")
    if len(data) > MAX_UPLOAD_BYTES:
        return error_response(
            413, "upload_too_large", "dashboard.error.upload_too_large",
            params={"max_bytes": MAX_UPLOAD_BYTES},
        )

    try:
        result = import_inventory_csv(data)
    except InventoryCsvError as exc:
        logger.info("inventory rejected", extra={"problems": len(exc.problems)})
        problems = [
            {
                "row": problem.row,
                "column": problem.column,
                "code": problem.key,
                "message": {"ja": problem.message("ja"), "en": problem.message("en")},
            }
            for problem in exc.problems
        ]
        return error_response(
            422, "invalid_inventory_csv", "dashboard.error.inventory_invalid", problems=problems
        )
    return json_response(
        {
            "procedures": result.procedures,
            "encoding": result.encoding,
            "snapshot_date": result.snapshot_date.isoformat(),
            "message": translate_all("dashboard.imported", count=result.procedures),
        }
    )


@app.route("/api/inventory.csv", methods=["GET"])
@mapped_errors
def export_inventory() -> Response:
    problem = staff_token_problem(app.current_request)
    if problem:
        return error_response(401, problem, f"api.{problem}")
    try:
        data = export_inventory_csv()
    except InventoryNotImported:
        return error_response(404, "inventory_not_imported", "dashboard.error.inventory_not_imported")
    return _file_response(data, CSV_CONTENT_TYPE, "inventory.csv")
