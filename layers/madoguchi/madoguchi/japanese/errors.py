"""The exception raised for invalid resident input."""

from __future__ import annotations


class InputError(ValueError):
    """Invalid user input.

    ``code`` is a catalog key such as ``"input.date_nonexistent"`` and ``params``
    fill its ``{name}`` placeholders. ``str(error)`` is the code alone, so a log
    line that prints the error never contains what the resident typed.
    """

    code: str
    params: dict[str, object]

    def __init__(self, code: str, /, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self, locale: str = "ja") -> str:
        """Render the catalog message for ``locale`` (Japanese by default)."""
        # Imported here so that parsing input does not load the YAML catalogs.
        from madoguchi.i18n import translate

        return translate(self.code, locale, **self.params)

    def __repr__(self) -> str:
        return f"InputError({self.code!r}, params={sorted(self.params)!r})"
