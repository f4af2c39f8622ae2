"""The public API contract over HTTP: catalog, schemas, OpenAPI document, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PROCEDURE_IDS = sorted(path.stem for path in (ROOT / "procedures").glob("*.yaml"))


def chalice_routes(local_stack: Any) -> set[tuple[str, str]]:
    """Return the routes of every Chalice function in template.yaml."""
    from infra.generate_openapi import chalice_apps

    return {
        (path, method)
        for app in chalice_apps().values()
        for path, methods in app.routes.items()
        for method in methods
    }


def test_procedure_list_fields(client: Any) -> None:
    response = client.get("/api/procedures")

    procedures = response.json()["procedures"]
    assert response.status_code == 200
    assert [procedure["id"] for procedure in procedures] == PROCEDURE_IDS
    for procedure in procedures:
        assert procedure["title"]["ja"], procedure["id"]
        assert procedure["title"]["en"], procedure["id"]
        assert procedure["department"]["ja"], procedure["id"]
        assert procedure["department"]["en"], procedure["id"]
        assert "fee" in procedure, procedure["id"]
        assert "window" in procedure, procedure["id"]


def test_procedure_list_values(client: Any) -> None:
    procedures = {p["id"]: p for p in client.get("/api/procedures").json()["procedures"]}

    assert procedures["cook-licence"]["fee"]["amount"] == 5600
    assert procedures["cook-licence"]["fee"]["currency"] == "JPY"
    assert procedures["cook-licence"]["window"] is None
    assert procedures["cook-employment-notification"]["fee"] is None
    assert procedures["hunting-licence-exam"]["fee"]["kind"] == "per_item"
    assert procedures["hunting-licence-exam"]["window"]["opens_at"].startswith("2027-07-05")


@pytest.mark.parametrize("procedure_id", PROCEDURE_IDS)
def test_procedure_detail_schema(client: Any, procedure_id: str) -> None:
    response = client.get(f"/api/procedures/{procedure_id}")

    schema = response.json()["answers_schema"]
    assert response.status_code == 200
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["examples"]
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("procedure_id", ["cook-employment-notification", "cook-licence"])
def test_examples_pass_validation_endpoint(client: Any, procedure_id: str) -> None:
    from tests.integration.attachments_helpers import cook_licence_files

    examples = client.get(f"/api/procedures/{procedure_id}").json()["answers_schema"]["examples"]
    # Example upload ids name no real upload, so real accepted files replace them.
    files = cook_licence_files(client) if procedure_id == "cook-licence" else {}

    for example in examples:
        response = client.post(
            f"/api/procedures/{procedure_id}/validation", json={"answers": {**example, **files}}
        )
        assert response.status_code == 200, response.text
        assert response.json()["valid"] is True


def test_closed_procedure_example_reports_window(client: Any) -> None:
    # The hunting exam's window is closed now, so its example cannot pass yet.
    example = client.get("/api/procedures/hunting-licence-exam").json()["answers_schema"][
        "examples"
    ][0]

    response = client.post("/api/procedures/hunting-licence-exam/validation", json={"answers": example})

    assert response.status_code == 422
    assert response.json()["error"] == "procedure_closed"


def test_validation_returns_normalised_answers(client: Any) -> None:
    example = client.get("/api/procedures/cook-employment-notification").json()[
        "answers_schema"
    ]["examples"][0]

    response = client.post(
        "/api/procedures/cook-employment-notification/validation",
        json={"answers": {**example, "postal_code": "３２０－８５０１"}},
    )

    answers = response.json()["answers"]
    assert answers["postal_code"] == "3208501"
    assert answers["birth_date"] == "1985-04-01"
    assert answers["full_name"] == "𠮷田 髙子"
    assert response.json()["fee"] == {"amount": 0, "currency": "JPY"}


def test_validation_reports_fields(client: Any) -> None:
    response = client.post(
        "/api/procedures/cook-employment-notification/validation",
        json={"answers": {"full_name": "髙橋", "birth_date": "昭和64年1月8日"}},
    )

    errors = response.json()["errors"]
    assert response.status_code == 422
    assert len(errors) == len({error["field"] for error in errors})
    assert errors[0]["field"] == "full_name_kana"
    assert errors[1]["field"] == "birth_date"
    assert errors[1]["ja"]
    assert errors[1]["en"]


def test_openapi_version_and_validity(client: Any) -> None:
    document = client.get("/api/openapi.json").json()

    assert document["openapi"].startswith("3.1")
    validate_openapi(document)


def test_openapi_describes_every_route(client: Any, local_stack: Any) -> None:
    document = client.get("/api/openapi.json").json()

    described = {
        (path, method.upper()) for path, operations in document["paths"].items()
        for method in operations
    }

    assert described == chalice_routes(local_stack)


def test_openapi_request_bodies_have_examples(client: Any) -> None:
    document = client.get("/api/openapi.json").json()

    bodies = [
        (path, method, operation["requestBody"])
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    ]

    assert len(bodies) >= 15
    for path, method, body in bodies:
        for media_type, content in body["content"].items():
            has_example = "example" in content or "examples" in content
            assert has_example, f"{method} {path} {media_type}"


def test_openapi_submission_example_accepted(client: Any) -> None:
    document = client.get("/api/openapi.json").json()
    content = document["paths"]["/api/procedures/{procedure_id}/validation"]["post"][
        "requestBody"
    ]["content"]["application/json"]

    response = client.post(
        "/api/procedures/cook-employment-notification/validation", json=content["example"]
    )

    assert response.status_code == 200, response.text


def test_unknown_procedure_404(client: Any) -> None:
    response = client.get("/api/procedures/fishing-licence")

    body = response.json()
    assert response.status_code == 404
    assert body["error"] == "procedure_not_found"
    assert body["message"]["ja"]
    assert body["message"]["en"]
    assert body["message"]["ja"] != body["message"]["en"]


def test_unknown_procedure_validation_404(client: Any) -> None:
    response = client.post("/api/procedures/fishing-licence/validation", json={"answers": {}})

    assert response.status_code == 404


def test_invalid_json_400(client: Any) -> None:
    response = client.post(
        "/api/applications",
        data=b'{"procedure_id": "cook-licence", ',
        headers={"Content-Type": "application/json"},
    )

    body = response.json()
    assert response.status_code == 400
    assert body["error"] == "invalid_json"
    assert body["message"]["ja"]
    assert body["message"]["en"]


def test_invalid_json_validation_400(client: Any) -> None:
    response = client.post(
        "/api/procedures/cook-licence/validation",
        data=b"{answers: }",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400


def test_submission_without_procedure_400(client: Any) -> None:
    response = client.post("/api/applications", json={"answers": {}})

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("typed", ["320-8501", "3208501", "３２０－８５０１"])
def test_postal_code_lookup(client: Any, typed: str) -> None:
    response = client.get(f"/api/postal-codes/{typed}")

    body = response.json()
    assert response.status_code == 200
    assert body["address"] == "栃木県宇都宮市塙田"
    assert body["prefecture"] == "栃木県"
    assert body["postal_code"] == "320-8501"


def test_postal_code_unknown(client: Any) -> None:
    response = client.get("/api/postal-codes/000-0000")

    assert response.status_code == 404
    assert response.json()["error"] == "postal_code_not_found"


def test_health(client: Any) -> None:
    assert client.get("/api/health").json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/no-such-page", "/favicon.ico", "/api/no-such-api"])
def test_unknown_path_bilingual_404(client: Any, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert "アドレスを確認してください" in response.json()["message"]["ja"]
    assert "Check the address" in response.json()["message"]["en"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
