"""Load procedure definitions from YAML files and report every problem by file and field."""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from madoguchi.procedures.models import (
    ApprovalRoute,
    DefinitionReferenceError,
    ProcedureDefinition,
    Window,
)

# Repository layout: layers/madoguchi/madoguchi/procedures/loader.py → <root>/procedures.
# A deployed function sets PROCEDURES_DIR to the copy bundled with it.
_DEFAULT_DIR = Path(__file__).resolve().parents[4] / "procedures"


class DefinitionError(Exception):
    """A definition file is invalid; ``problems`` lists ``(field path, message)`` pairs."""

    def __init__(self, path: Path, problems: list[tuple[str, str]]) -> None:
        self.path = path
        self.problems = problems
        lines = [f"{path}: {location or '(file)'}: {message}" for location, message in problems]
        super().__init__("invalid procedure definition\n" + "\n".join(lines))


class ProcedureNotFound(KeyError):
    """No procedure definition has the requested id."""


def procedures_dir() -> Path:
    return Path(os.environ.get("PROCEDURES_DIR") or _DEFAULT_DIR)


def load_definition(path: Path) -> ProcedureDefinition:
    """Parse and validate one definition file.

    Raises:
        DefinitionError: the YAML does not parse or a field is invalid.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DefinitionError(path, [("", f"YAML syntax error: {exc}")]) from exc
    if not isinstance(data, dict):
        raise DefinitionError(path, [("", "the file must contain a mapping")])

    try:
        definition = ProcedureDefinition.model_validate(data)
    except ValidationError as exc:
        raise DefinitionError(path, _validation_problems(exc)) from exc

    if definition.id != path.stem:
        raise DefinitionError(
            path, [("id", f"id '{definition.id}' must match the file name '{path.stem}'")]
        )
    return definition


def _validation_problems(exc: ValidationError) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for error in exc.errors():
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, DefinitionReferenceError):
            # Cross-field checks run on the whole model, so pydantic reports no location.
            # The error carries the path of each reference instead.
            problems.extend(cause.problems)
        else:
            problems.append((".".join(str(part) for part in error["loc"]), error["msg"]))
    return problems


def load_definitions(paths: Iterable[Path]) -> dict[str, ProcedureDefinition]:
    """Load several files, collecting the problems of all of them before raising."""
    definitions: dict[str, ProcedureDefinition] = {}
    errors: list[DefinitionError] = []
    for path in sorted(paths):
        try:
            definition = load_definition(path)
        except DefinitionError as exc:
            errors.append(exc)
            continue
        definitions[definition.id] = definition
    if errors:
        raise DefinitionError(
            errors[0].path, [problem for error in errors for problem in _prefixed(error)]
        )
    return definitions


def _prefixed(error: DefinitionError) -> list[tuple[str, str]]:
    return [(f"{error.path.name}: {location}", message) for location, message in error.problems]


def apply_window_overrides(
    definitions: dict[str, ProcedureDefinition], path: Path
) -> dict[str, ProcedureDefinition]:
    """Replace application windows from an operator's override file.

    The file maps procedure ids to a window (``opens_at``, ``closes_at``, ``note``),
    e.g. to extend a deadline after a disaster without editing the definition. A
    window of ``null`` keeps the procedure always open.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    overridden = dict(definitions)
    for procedure_id, window in data.items():
        if procedure_id not in definitions:
            raise DefinitionError(path, [(procedure_id, "no procedure has this id")])
        try:
            new_window = None if window is None else Window.model_validate(window)
        except ValidationError as exc:
            problems = [
                (f"{procedure_id}." + ".".join(map(str, error["loc"])), error["msg"])
                for error in exc.errors()
            ]
            raise DefinitionError(path, problems) from exc
        overridden[procedure_id] = definitions[procedure_id].model_copy(
            update={"window": new_window, "window_overridden": True}
        )
    return overridden


def apply_route_overrides(
    definitions: dict[str, ProcedureDefinition], path: Path
) -> dict[str, ProcedureDefinition]:
    """Replace approval routes from an operator's file (``APPROVAL_ROUTES_FILE``).

    The file maps procedure ids to an approval route (``steps``), so a change of the
    prefecture's delegation of authority (専決規程) needs no new definition version.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    overridden = dict(definitions)
    for procedure_id, route in data.items():
        if procedure_id not in definitions:
            raise DefinitionError(path, [(procedure_id, "no procedure has this id")])
        try:
            new_route = ApprovalRoute.model_validate(route)
        except ValidationError as exc:
            problems = [
                (f"{procedure_id}." + ".".join(map(str, error["loc"])), error["msg"])
                for error in exc.errors()
            ]
            raise DefinitionError(path, problems) from exc
        overridden[procedure_id] = definitions[procedure_id].model_copy(
            update={"approval_route": new_route}
        )
    return overridden


@cache
def load_catalog() -> dict[str, ProcedureDefinition]:
    """Load every definition in ``procedures_dir()``, applying ``WINDOW_OVERRIDES_FILE`` and
    ``APPROVAL_ROUTES_FILE`` if set."""
    directory = procedures_dir()
    definitions = load_definitions(directory.glob("*.yaml"))
    overrides = os.environ.get("WINDOW_OVERRIDES_FILE")
    if overrides:
        definitions = apply_window_overrides(definitions, Path(overrides))
    routes = os.environ.get("APPROVAL_ROUTES_FILE")
    if routes:
        definitions = apply_route_overrides(definitions, Path(routes))
    return definitions


def get_procedure(procedure_id: str) -> ProcedureDefinition:
    """Return one definition from the catalog.

    Raises:
        ProcedureNotFound: no definition has this id.
    """
    try:
        return load_catalog()[procedure_id]
    except KeyError:
        raise ProcedureNotFound(procedure_id) from None
