"""The shared error-mapping decorator of the Chalice functions."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace

from chalice import Response
from madoguchi.web.errors import error_mapper
from madoguchi.web.responses import error_response


class Missing(Exception):
    pass


class Busy(Exception):
    pass


def decorated(path: str, raised: Exception) -> Response:
    app = SimpleNamespace(current_request=SimpleNamespace(path=path))
    mapper = error_mapper(
        app,
        logging.getLogger("test"),
        lambda: {
            Missing: (404, "procedure_not_found", "api.procedure_not_found"),
            Busy: lambda exc: error_response(409, "busy", "api.idempotency_in_progress"),
        },
        error_page=lambda: Response(body="page", status_code=500),
    )

    @mapper
    def view() -> Response:
        raise raised

    return view()


def test_known_error_tuple_mapping() -> None:
    response = decorated("/api/procedures/x", Missing())

    assert response.status_code == 404
    assert json.loads(response.body)["error"] == "procedure_not_found"


def test_known_error_function_mapping() -> None:
    response = decorated("/api/applications", Busy())

    assert response.status_code == 409
    assert json.loads(response.body)["error"] == "busy"


def test_unknown_error_json_on_api() -> None:
    response = decorated("/api/applications", RuntimeError("boom"))

    assert response.status_code == 500
    assert json.loads(response.body)["error"] == "internal_error"
    assert "boom" not in response.body


def test_unknown_error_page_elsewhere() -> None:
    response = decorated("/procedures/x", RuntimeError("boom"))

    assert response.status_code == 500
    assert response.body == "page"
