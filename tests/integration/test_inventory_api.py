"""Inventory import, dashboard and open data on the embedded local stack, over HTTP."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest
from madoguchi.inventory.csv_io import read_inventory_csv, write_inventory_csv
from madoguchi.inventory.synthetic import generate_inventory
from madoguchi.inventory.usage import month_of
from madoguchi.inventory.validation import validate_csv, validate_json

from infra.local.provision import load_template

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests/fixtures/inventory"
PROCEDURE_ID = "cook-employment-notification"


@cache
def synthetic_csv() -> bytes:
    return write_inventory_csv(generate_inventory())


def staff_headers(local_stack: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {local_stack.staff_api_token}"}


def staff_upload_headers(local_stack: Any) -> dict[str, str]:
    return {**staff_headers(local_stack), "Content-Type": "text/csv"}


def dashboard_json(client: Any) -> dict[str, Any]:
    response = client.get("/api/dashboard")
    assert response.status_code == 200, response.text
    return response.json()


def live_applications(client: Any, procedure_id: str) -> int:
    for procedure in dashboard_json(client)["live_procedures"]:
        if procedure["procedure_id"] == procedure_id:
            return procedure["applications"]
    raise AssertionError(f"{procedure_id} is missing from live_procedures")


def submit_example_application(client: Any) -> dict[str, Any]:
    definition = client.get(f"/api/procedures/{PROCEDURE_ID}").json()
    answers = definition["answers_schema"]["examples"][0]
    response = client.post(
        "/api/applications", json={"procedure_id": PROCEDURE_ID, "answers": answers, "locale": "ja"}
    )
    assert response.status_code == 201, response.text
    return answers


def publish_open_data(local_stack: Any) -> dict[str, Any]:
    """Invoke the scheduled publisher through the local Lambda API, as EventBridge would."""
    event = (ROOT / "events/opendata_publisher_schedule.json").read_bytes()
    response = boto3.client("lambda").invoke(
        FunctionName=local_stack.resources["OpenDataPublisherFunction"], Payload=event
    )
    payload = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, payload
    return payload


@pytest.fixture
def restore_synthetic_inventory(client: Any, local_stack: Any) -> Iterator[None]:
    yield
    response = client.post(
        "/api/inventory", data=synthetic_csv(), headers=staff_upload_headers(local_stack)
    )
    assert response.status_code == 200, response.text


# --- import --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"), ("cp932", "cp932")],
)
def test_import_each_encoding_updates_dashboard(
    client: Any, local_stack: Any, restore_synthetic_inventory: None, encoding: str, detected: str
) -> None:
    text = (FIXTURES / "survey_small.csv").read_text(encoding="utf-8-sig")
    body = text.encode(encoding)

    response = client.post("/api/inventory", data=body, headers=staff_upload_headers(local_stack))

    assert response.status_code == 200, response.text
    assert response.json()["procedures"] == 5
    assert response.json()["encoding"] == detected
    assert dashboard_json(client)["totals"]["procedures"] == 5
    exported = client.get("/api/inventory.csv", headers=staff_headers(local_stack))
    assert exported.status_code == 200
    assert exported.content.startswith(b"\xef\xbb\xbf")
    # 髙 is in CP932 only through the NEC extensions, so it shows the file was decoded right.
    notes = [procedure.notes for procedure in read_inventory_csv(exported.content)]
    assert "髙橋係長が担当" in notes


def test_import_bad_rows_rejects_whole_file(client: Any, local_stack: Any) -> None:
    before = client.get("/api/inventory.csv", headers=staff_headers(local_stack)).content
    body = (FIXTURES / "survey_bad_rows.csv").read_bytes()

    response = client.post("/api/inventory", data=body, headers=staff_upload_headers(local_stack))

    assert response.status_code == 422, response.text
    document = response.json()
    assert document["error"] == "invalid_inventory_csv"
    found = {(problem["row"], problem["column"], problem["code"]) for problem in document["problems"]}
    assert (3, "押印廃止日", "invalid_date") in found
    assert (4, "年間件数", "invalid_integer") in found
    assert (5, "手続ID", "duplicate_id") in found
    assert (6, "オンライン化目標年度", "planned_needs_target_year") in found
    assert len(document["problems"]) == 5
    first = document["problems"][0]
    assert first["message"]["ja"].startswith("3行目")
    assert "押印廃止日" in first["message"]["ja"]
    assert first["message"]["en"].startswith("Row 3")
    after = client.get("/api/inventory.csv", headers=staff_headers(local_stack)).content
    assert after == before
    assert dashboard_json(client)["totals"]["procedures"] == 5_264


def test_import_and_export_require_staff_token(client: Any, local_stack: Any) -> None:
    body = (FIXTURES / "survey_small.csv").read_bytes()

    missing = client.post("/api/inventory", data=body, headers={"Content-Type": "text/csv"})
    wrong = client.post(
        "/api/inventory",
        data=body,
        headers={"Content-Type": "text/csv", "Authorization": "Bearer not-the-staff-token"},
    )
    export = client.get("/api/inventory.csv")

    assert missing.status_code == 401
    assert wrong.status_code == 401
    assert export.status_code == 401
    assert missing.json()["error"] == "staff_token_required"
    assert dashboard_json(client)["totals"]["procedures"] == 5_264


# --- dashboard -----------------------------------------------------------------------------------


def test_dashboard_json_shows_survey_totals(client: Any) -> None:
    dashboard = dashboard_json(client)

    totals = dashboard["totals"]
    assert totals["procedures"] == 5_264
    assert totals["seal_originally_required"] == 4_234
    assert totals["seal_within_prefecture_power"] == 2_901
    assert totals["seal_requires_law_change"] == 1_333
    assert [status["target"]["percent"] for status in dashboard["targets"]] == [90, 100]
    assert [point["fiscal_year"] for point in dashboard["fiscal_years"]][:3] == [2020, 2021, 2022]
    assert dashboard["recorded_snapshots"]


def test_dashboard_live_usage_counts_submission(client: Any) -> None:
    before = live_applications(client, PROCEDURE_ID)

    submit_example_application(client)

    assert live_applications(client, PROCEDURE_ID) == before + 1


@pytest.mark.parametrize(
    ("query", "language", "title"),
    [("", "ja", "行政手続デジタル化の進捗"), ("?lang=en", "en", "Digitalisation of administrative procedures")],
)
def test_dashboard_page_has_table_per_chart(
    client: Any, query: str, language: str, title: str
) -> None:
    response = client.get(f"/dashboard{query}")

    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    page = response.text
    assert f'<html lang="{language}">' in page
    assert title in page
    assert "5,264" in page
    for script in re.findall(r"<script[^>]*>", page):
        assert "src=" in script or 'type="application/json"' in script, script
    assert "style=" not in page
    charts = page.split('<figure class="chart"')[1:]
    assert len(charts) == 5
    for chart in charts:
        assert re.search(r'<svg[^>]+role="img"[^>]+aria-label="[^"]+"', chart)
        section_rest = chart.split("</section>")[0]
        assert "<table" in section_rest.split("</figure>", 1)[1]


# --- open data -----------------------------------------------------------------------------------


def test_opendata_files_validate_without_personal_data(client: Any, local_stack: Any) -> None:
    answers = submit_example_application(client)
    publish_open_data(local_stack)
    index = client.get("/api/opendata")
    assert index.status_code == 200
    personal = [answers["email"], answers["full_name"], answers["phone"], answers["address"]]

    datasets = index.json()["datasets"]
    assert [dataset["name"] for dataset in datasets] == [
        "procedure-catalog",
        "monthly-usage",
        "payment-methods",
    ]
    for dataset in datasets:
        dictionary = client.get(dataset["urls"]["dictionary"]).json()
        csv_response = client.get(dataset["urls"]["csv"])
        json_response = client.get(dataset["urls"]["json"])

        assert csv_response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert csv_response.headers["Content-Disposition"].startswith("attachment;")
        assert json_response.headers["Content-Type"] == "application/json; charset=utf-8"
        assert validate_csv(csv_response.content, dictionary) == []
        assert validate_json(json_response.json(), dictionary) == []
        for response in (csv_response, json_response):
            text = response.content.decode("utf-8-sig")
            for value in personal:
                assert value not in text, f"{dataset['name']} contains {value!r}"
    licence = client.get(index.json()["licence_url"]).json()
    assert licence["id"] == "CC-BY-4.0"


def test_opendata_monthly_usage_suppresses_small_counts(client: Any, local_stack: Any) -> None:
    submit_example_application(client)
    publish_open_data(local_stack)
    threshold = client.get("/api/opendata").json()["suppression_threshold"]
    live = {
        (row["month"], row["procedure_id"]): row for row in dashboard_json(client)["live_monthly"]
    }

    published = client.get("/api/opendata/monthly-usage.json").json()["records"]
    table = list(
        csv.DictReader(io.StringIO(client.get("/api/opendata/monthly-usage.csv").content.decode("utf-8-sig")))
    )

    this_month = month_of(datetime.now(UTC))
    row = next(r for r in published if r["month"] == this_month and r["procedure_id"] == PROCEDURE_ID)
    count = live[(this_month, PROCEDURE_ID)]["applications"]
    assert count >= 1
    if count < threshold:
        assert row["applications"] is None
        assert "applications" in row["suppressed"]
        csv_row = next(r for r in table if r["年月"] == this_month and r["手続ID"] == PROCEDURE_ID)
        assert csv_row["申請件数"] == ""
        assert "申請件数" in csv_row["秘匿項目"]
    elif "applications" not in row["suppressed"]:
        # A count at or above the threshold may still be hidden by secondary suppression.
        assert row["applications"] == count
    for record in published:
        if record["procedure_id"] == "ALL" or "applications" in record["suppressed"]:
            continue
        visible = record["applications"]
        assert visible == 0 or visible >= threshold
        assert visible == live[(record["month"], record["procedure_id"])]["applications"]


def test_opendata_unknown_file_is_not_found(client: Any) -> None:
    response = client.get("/api/opendata/..%2Finventory%2Fcurrent.csv")
    other = client.get("/api/opendata/secrets.csv")

    # The gateway matches no route for an encoded slash, as API Gateway would not.
    assert response.status_code in (403, 404)
    assert "備考" not in response.text
    assert other.status_code == 404
    assert other.json()["error"] == "opendata_not_found"


# --- template ------------------------------------------------------------------------------------


def test_dashboard_routes_match_template_events() -> None:
    spec = importlib.util.spec_from_file_location(
        "dashboard_app_for_route_test", ROOT / "functions/dashboard/app.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    routes = {
        (path, method.lower())
        for path, entries in module.app.routes.items()
        for method in entries
    }

    events = load_template()["Resources"]["DashboardFunction"]["Properties"]["Events"]
    declared = {
        (event["Properties"]["Path"], event["Properties"]["Method"])
        for event in events.values()
        if event["Type"] == "Api"
    }

    assert routes == declared


def test_dashboard_hides_small_medians(client) -> None:
    dashboard = client.get("/api/dashboard").json()

    for procedure in dashboard["live_procedures"]:
        if procedure["completed"] < 10:
            assert procedure["median_processing_days"] is None, procedure["procedure_id"]
    for row in dashboard["live_monthly"]:
        if row["completed"] < 10:
            assert row["median_processing_days"] is None, row
