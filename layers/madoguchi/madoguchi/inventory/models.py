"""Inventory of every administrative procedure of the prefecture, online or not.

The inventory follows the prefecture's survey of administrative procedures
(行政手続実態調査): one record per procedure with its legal basis, whether it
needs a seal (押印) and who can abolish that seal, and how far its online
application has got.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class LegalBasis(StrEnum):
    """Legal basis category of a procedure, as the survey splits them."""

    LAW = "law"  # 法律・政令
    ORDINANCE = "ordinance"  # 条例・規則・要綱・要領等


class SealStatus(StrEnum):
    """Current state of the seal (押印) requirement of a procedure."""

    REQUIRED = "required"  # still required, and the prefecture can abolish it itself
    ABOLISHED = "abolished"
    REQUIRES_LAW_CHANGE = (
        "requires_law_change"  # still required until a law or cabinet order changes
    )
    NONE = "none"  # the procedure never needed a seal


class SealReviewAuthority(StrEnum):
    """Authority that can abolish a seal requirement, as classified by the survey.

    The classification is kept after the seal is abolished, so the survey's split
    of 4,234 sealed procedures into 2,901 (県で見直し可能) and 1,333
    (法令等の改正が必要) stays computable from the current inventory.
    """

    PREFECTURE = "prefecture"  # 県で見直し可能
    LAW_CHANGE = "law_change"  # 法令等の改正が必要


class OnlineStatus(StrEnum):
    """State of the online application of a procedure."""

    ONLINE = "online"
    PLANNED = "planned"
    UNSUITABLE = "unsuitable"  # オンライン化が適当でない手続
    NOT_COST_EFFECTIVE = "not_cost_effective"  # 費用対効果が見合わない手続
    NOT_STARTED = "not_started"


# Online statuses that the plan leaves out of the online-application rate denominator.
EXCLUDED_FROM_ONLINE_RATE = frozenset({OnlineStatus.UNSUITABLE, OnlineStatus.NOT_COST_EFFECTIVE})

_SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_PROCEDURE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"


@dataclass(frozen=True)
class FieldProblem:
    """One broken rule on one field of a procedure record.

    ``key`` is a message key under ``inventory.problem.`` in the catalogs, so the CSV
    importer can report it in Japanese and English with the column header.
    """

    field: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)


class Procedure(BaseModel):
    """One administrative procedure of the prefecture, whether it runs online or not."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    procedure_id: str = Field(pattern=_PROCEDURE_ID_PATTERN)
    name: str = Field(min_length=1, max_length=200, description="Procedure name in Japanese")
    department: str = Field(
        min_length=1, max_length=100, description="Department in charge (所管部局)"
    )
    legal_basis: LegalBasis
    seal_status: SealStatus
    seal_review_authority: SealReviewAuthority | None = Field(
        default=None,
        description="Who can abolish the seal; None when the procedure never needed one",
    )
    seal_abolished_on: date | None = Field(
        default=None,
        description="Date the seal requirement ended; None if unknown or not abolished",
    )
    online_status: OnlineStatus
    target_fiscal_year: int | None = Field(
        default=None,
        ge=2019,
        le=2100,
        description="Japanese fiscal year (April to March) by which a planned procedure goes online, "
        "as the Western year it starts in: 2022 is 令和4年度",
    )
    plan_step: int | None = Field(
        default=None, ge=1, le=99, description="Phase number (第N段階) of the digitalisation plan"
    )
    online_since: date | None = Field(
        default=None, description="Date online application started; None if unknown or not online"
    )
    fee_yen: int | None = Field(
        default=None, ge=1, description="Fee in yen; None when there is no fee"
    )
    annual_volume: int = Field(ge=0, description="Applications or notifications per year (件/年)")
    definition_id: str | None = Field(
        default=None,
        pattern=_SLUG_PATTERN,
        max_length=100,
        description="madoguchi procedure definition this procedure runs on, if any",
    )
    notes: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _check_consistency(self) -> Procedure:
        problems = find_consistency_problems(self.model_dump())
        if problems:
            described = ", ".join(f"{problem.field}: {problem.key}" for problem in problems)
            raise ValueError(f"inconsistent procedure {self.procedure_id}: {described}")
        return self

    @property
    def originally_required_seal(self) -> bool:
        """Return whether the survey found a seal requirement on this procedure."""
        return self.seal_status is not SealStatus.NONE

    def is_online_on(self, day: date) -> bool:
        """Return whether online application was available on ``day``.

        A procedure marked online without ``online_since`` counts as online on every day.
        """
        if self.online_status is not OnlineStatus.ONLINE:
            return False
        return self.online_since is None or self.online_since <= day

    def is_seal_abolished_on(self, day: date) -> bool:
        """Return whether the seal requirement had ended by ``day``.

        An abolished seal without ``seal_abolished_on`` counts as abolished on every day.
        """
        if self.seal_status is not SealStatus.ABOLISHED:
            return False
        return self.seal_abolished_on is None or self.seal_abolished_on <= day


def find_consistency_problems(values: dict[str, Any]) -> list[FieldProblem]:
    """Return the cross-field rules that a procedure's field values break.

    Shared by the model and the CSV importer so both enforce the same rules. The
    values are the model's field names with parsed (enum, date, int) values.
    """
    problems: list[FieldProblem] = []
    seal_status = values.get("seal_status")
    authority = values.get("seal_review_authority")
    online_status = values.get("online_status")

    # The seal status and the survey's classification of who can abolish the seal
    # must agree.
    if seal_status == SealStatus.NONE and authority is not None:
        problems.append(FieldProblem("seal_review_authority", "authority_without_seal"))
    if seal_status in (SealStatus.REQUIRED, SealStatus.ABOLISHED) and authority is None:
        problems.append(FieldProblem("seal_review_authority", "authority_missing"))
    if seal_status == SealStatus.REQUIRED and authority == SealReviewAuthority.LAW_CHANGE:
        problems.append(FieldProblem("seal_review_authority", "required_but_law_change"))
    if (
        seal_status == SealStatus.REQUIRES_LAW_CHANGE
        and authority != SealReviewAuthority.LAW_CHANGE
    ):
        problems.append(FieldProblem("seal_review_authority", "law_change_authority_expected"))
    if values.get("seal_abolished_on") is not None and seal_status != SealStatus.ABOLISHED:
        problems.append(FieldProblem("seal_abolished_on", "date_only_when_abolished"))

    # Only planned procedures have a target year and plan step, and only online ones a start date.
    if online_status == OnlineStatus.PLANNED:
        if values.get("target_fiscal_year") is None:
            problems.append(FieldProblem("target_fiscal_year", "planned_needs_target_year"))
        if values.get("plan_step") is None:
            problems.append(FieldProblem("plan_step", "planned_needs_step"))
    else:
        if values.get("target_fiscal_year") is not None:
            problems.append(FieldProblem("target_fiscal_year", "only_when_planned"))
        if values.get("plan_step") is not None:
            problems.append(FieldProblem("plan_step", "only_when_planned"))
    if values.get("online_since") is not None and online_status != OnlineStatus.ONLINE:
        problems.append(FieldProblem("online_since", "date_only_when_online"))

    return problems
