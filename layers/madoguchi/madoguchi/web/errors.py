"""One error-mapping decorator for every Chalice function.

Chalice converts an exception into its own English 500 body before middleware runs,
so each view is wrapped: known domain errors become their documented responses, and
anything else is logged and becomes a generic 500 without details.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from chalice import Response

from madoguchi.web.responses import error_response

# A known error maps to (status code, error code, message key), or to a function that
# builds the response from the exception (e.g. to log it or fill message parameters).
ErrorMapping = tuple[int, str, str] | Callable[[Exception], Response]


def error_mapper(
    app: Any,
    logger: Any,
    known_errors: Callable[[], Mapping[type[Exception], ErrorMapping]],
    error_page: Callable[[], Response] | None = None,
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Return a decorator that maps the errors of a view to responses.

    ``known_errors`` is called only when a view raises, so exception classes can be
    imported lazily. The first matching class wins. ``error_page`` renders the 500 page for
    paths outside ``/api/``; without it every path gets the JSON body.
    """

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def wrapper(**kwargs: str) -> Response:
            try:
                return view(**kwargs)
            except Exception as exc:
                for error_type, mapping in known_errors().items():
                    if isinstance(exc, error_type):
                        return mapping(exc) if callable(mapping) else error_response(*mapping)

                path = app.current_request.path
                logger.exception("unhandled error", extra={"route": path.split("/")[1:4]})
                if error_page is not None and not path.startswith("/api/"):
                    return error_page()
                return error_response(500, "internal_error", "api.internal_error")

        return wrapper

    return decorate
