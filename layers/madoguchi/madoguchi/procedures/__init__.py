"""Procedure definitions: models, loading and the answer schema derived from them."""

from madoguchi.procedures.loader import (
    DefinitionError,
    ProcedureNotFound,
    get_procedure,
    load_catalog,
)
from madoguchi.procedures.models import ProcedureDefinition

__all__ = [
    "DefinitionError",
    "ProcedureDefinition",
    "ProcedureNotFound",
    "get_procedure",
    "load_catalog",
]
