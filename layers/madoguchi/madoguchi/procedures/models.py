"""Pydantic models of a procedure definition (``procedures/*.yaml``).

One definition drives the form page, the answer schema the API validates, the
fee, the identity level, the attachments and the approval route.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

TOKYO = ZoneInfo("Asia/Tokyo")


class Model(BaseModel):
    # defer_build: validators are built when the catalog first loads, not at import,
    # which keeps functions that never read a definition quick to start.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class LocalizedText(Model):
    """Text in Japanese (required) and English (falls back to Japanese)."""

    ja: str
    en: str | None = None

    def get(self, locale: str) -> str:
        if locale == "en" and self.en:
            return self.en
        return self.ja


def _require_timezone(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("date-time needs a UTC offset, e.g. 2027-01-04T00:00:00+09:00")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_require_timezone)]


class Window(Model):
    """Application window; both ends inclusive, compared in Asia/Tokyo."""

    opens_at: AwareDatetime
    closes_at: AwareDatetime
    note: LocalizedText | None = None

    @model_validator(mode="after")
    def _check_order(self) -> Window:
        if self.closes_at <= self.opens_at:
            raise ValueError("closes_at must be after opens_at")
        return self

    def contains(self, moment: datetime) -> bool:
        return self.opens_at <= moment <= self.closes_at

    def display_bounds(self) -> dict[str, str]:
        """Return ``opens`` and ``closes`` formatted in Asia/Tokyo, e.g. 2027-01-04 00:00."""
        return {
            "opens": self.opens_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M"),
            "closes": self.closes_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M"),
        }


class Department(Model):
    name: LocalizedText
    phone: str
    fax: str | None = None
    email: str
    hours: LocalizedText


class Condition(Model):
    """Shows a field when another answer matches: ``equals`` one value, or ``includes_any``
    of a multiple choice's values."""

    field: str
    equals: str | bool | None = None
    includes_any: list[str] | None = None

    @model_validator(mode="after")
    def _check_one_test(self) -> Condition:
        if (self.equals is None) == (self.includes_any is None):
            raise ValueError("give exactly one of 'equals' or 'includes_any'")
        return self

    def matches(self, answers: dict) -> bool:
        value = answers.get(self.field)
        if self.equals is not None:
            return value == self.equals
        selected = value if isinstance(value, list) else []
        return any(item in selected for item in self.includes_any or [])


class Option(Model):
    value: str
    label: LocalizedText
    # Choices such as an exam session carry the date that age rules are checked
    # on, a window of their own and a capacity.
    date: dt.date | None = None
    window: Window | None = None
    capacity: int | None = Field(default=None, ge=1)
    note: LocalizedText | None = None


FieldType = Literal[
    "text",
    "textarea",
    "furigana",
    "date",
    "postal_code",
    "address",
    "phone",
    "email",
    "single_choice",
    "multiple_choice",
    "number",
    "consent",
    "file",
]

FileKind = Literal["pdf", "jpeg", "png", "heic"]


class FormField(Model):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    type: FieldType
    label: LocalizedText
    hint: LocalizedText | None = None
    required: bool = True
    visible_when: Condition | None = None
    autocomplete: str | None = None
    example: object | None = None

    # text, textarea, address: counted in user-perceived characters
    max_length: int | None = Field(default=None, ge=1)
    # date: reject dates after today (Asia/Tokyo), e.g. a birth date
    past_only: bool = False
    # postal_code: the address field that the looked-up address fills
    fills: str | None = None
    # single_choice, multiple_choice
    options: list[Option] = []
    min_selected: int | None = Field(default=None, ge=0)
    max_selected: int | None = Field(default=None, ge=1)
    # number
    minimum: int | None = None
    maximum: int | None = None
    unit: LocalizedText | None = None
    # consent: the statement the applicant agrees to
    statement: LocalizedText | None = None
    # file (declared; uploads are not wired yet)
    accept: list[FileKind] = []
    max_size_mb: float | None = Field(default=None, gt=0)
    max_files: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _check_type_specific(self) -> FormField:
        if self.type in ("single_choice", "multiple_choice") and not self.options:
            raise ValueError(f"a {self.type} field needs 'options'")
        if self.type not in ("single_choice", "multiple_choice") and self.options:
            raise ValueError(f"'options' is only allowed on choice fields, not on {self.type}")
        if self.type == "consent" and self.statement is None:
            raise ValueError("a consent field needs 'statement'")
        if self.type == "file" and not self.accept:
            raise ValueError("a file field needs 'accept' (pdf, jpeg, png, heic)")
        if self.fills is not None and self.type != "postal_code":
            raise ValueError("'fills' is only allowed on postal_code fields")
        values = [option.value for option in self.options]
        if len(values) != len(set(values)):
            raise ValueError("option values must be unique")
        return self


class Section(Model):
    id: str
    title: LocalizedText
    description: LocalizedText | None = None
    fields: list[FormField]


class MinimumAgeRule(Model):
    """The applicant must be at least ``years`` old on a date: a fixed ``on_date``, or the
    date carried by the option chosen in ``on_option_date_of``."""

    kind: Literal["minimum_age"]
    birth_date_field: str
    years: int = Field(ge=0)
    on_date: dt.date | None = None
    on_option_date_of: str | None = None
    when: Condition | None = None
    message: LocalizedText

    @model_validator(mode="after")
    def _check_reference_date(self) -> MinimumAgeRule:
        if (self.on_date is None) == (self.on_option_date_of is None):
            raise ValueError("give exactly one of 'on_date' or 'on_option_date_of'")
        return self


Rule = MinimumAgeRule


class FixedFee(Model):
    kind: Literal["fixed"]
    amount: int = Field(ge=0)


class PerItemFee(Model):
    """An amount for each value selected in a multiple choice field."""

    kind: Literal["per_item"]
    field: str
    amount: int = Field(ge=0)


class QuantityFee(Model):
    """A unit price times the value of a number field, plus a fixed part."""

    kind: Literal["quantity"]
    field: str
    unit_amount: int = Field(ge=0)
    fixed_amount: int = Field(default=0, ge=0)


class Exemption(Model):
    """A reduction (減免) applied when an answer matches ``when``; 100 percent waives the fee."""

    when: Condition
    percent: int = Field(ge=1, le=100)
    label: LocalizedText


class Fee(Model):
    """Fee in integer yen, paid through Stripe Checkout before review."""

    rule: FixedFee | PerItemFee | QuantityFee = Field(discriminator="kind")
    # The first matching exemption applies; exemptions do not add up.
    exemptions: list[Exemption] = []
    refundable: bool = False
    # How long the workflow waits for the payment before the application expires.
    # Konbini vouchers stay payable for 3 days, so the default leaves room for them.
    payment_timeout_hours: int = Field(default=96, ge=1, le=8760)
    example_values: bool = True
    note: LocalizedText | None = None


class ApprovalStep(Model):
    """One level of the approval route (決裁).

    A step names one approver role, or several (``approver_roles``) for a
    consultation (合議) in which every role must approve. Any rejection or return by
    one of them ends the step with that decision. Roles resolve to addresses through
    the APPROVERS setting, never in the definition.
    """

    id: str
    title: LocalizedText
    approver_role: str | None = None
    approver_roles: list[str] = Field(default_factory=list)
    # Working days are not modelled: the deadline counts calendar days.
    deadline_days: float = Field(default=5, gt=0)
    # The approver is reminded this long before the deadline; after the deadline the
    # step escalates (APPROVER_ESCALATIONS).
    reminder_before_days: float = Field(default=1, ge=0)

    @model_validator(mode="after")
    def _check_roles(self) -> ApprovalStep:
        if (self.approver_role is None) == (not self.approver_roles):
            raise ValueError("set either approver_role or approver_roles (a consultation), not both")
        if len(set(self.approver_roles)) != len(self.approver_roles):
            raise ValueError("approver_roles must not repeat a role")
        return self

    @property
    def roles(self) -> list[str]:
        """Return every role that must approve this step."""
        return list(self.approver_roles) if self.approver_roles else [str(self.approver_role)]


class ApprovalRoute(Model):
    steps: list[ApprovalStep] = Field(min_length=1)


class Notice(Model):
    kind: Literal["acceptance", "licence", "permit"]
    title: LocalizedText


class DefinitionReferenceError(ValueError):
    """A definition refers to field ids it does not have; ``problems`` lists
    ``(field path, message)`` pairs so the loader can report each path."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))
        self.problems = problems


class ProcedureDefinition(Model):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
    version: int = Field(ge=1)
    title: LocalizedText
    summary: LocalizedText
    eligibility: LocalizedText
    legal_basis: LocalizedText | None = None
    department: Department
    window: Window | None = None
    # Set by an operator's override file: the overriding window then also replaces
    # the windows of individual choices (e.g. every exam session).
    window_overridden: bool = False
    fee: Fee | None = None
    identity: Literal["none", "email", "my_number_card"] = "none"
    residents_only: bool = False
    approval_route: ApprovalRoute
    notice: Notice
    sections: list[Section] = Field(min_length=1)
    rules: list[Rule] = []
    example_answers: list[dict] = Field(min_length=1)

    @field_validator("example_answers", mode="before")
    @classmethod
    def _dates_as_typed(cls, examples: object) -> object:
        # YAML reads 2008-04-01 as a date; a resident types text, so keep the text.
        if not isinstance(examples, list):
            return examples
        return [
            {key: value.isoformat() if isinstance(value, dt.date) else value for key, value in example.items()}
            if isinstance(example, dict)
            else example
            for example in examples
        ]

    @model_validator(mode="after")
    def _check_references(self) -> ProcedureDefinition:
        problems = self._reference_problems()
        if problems:
            raise DefinitionReferenceError(problems)
        return self

    def _reference_problems(self) -> list[tuple[str, str]]:
        """Return ``(field path, message)`` for every reference to a field id that is missing."""
        fields = {field.id: field for field in self.fields}
        problems: list[tuple[str, str]] = []
        seen: set[str] = set()
        for section_index, section in enumerate(self.sections):
            for field_index, field in enumerate(section.fields):
                path = f"sections.{section_index}.fields.{field_index}"
                if field.id in seen:
                    problems.append((f"{path}.id", f"field id '{field.id}' is used twice"))
                seen.add(field.id)
                if field.visible_when and field.visible_when.field not in fields:
                    problems.append(
                        (
                            f"{path}.visible_when.field",
                            (
                                f"field '{field.id}': visible_when refers to unknown field "
                                f"'{field.visible_when.field}'"
                            ),
                        )
                    )
                if field.fills and field.fills not in fields:
                    problems.append(
                        (f"{path}.fills", f"field '{field.id}': fills unknown field '{field.fills}'")
                    )
        for rule_index, rule in enumerate(self.rules):
            if rule.birth_date_field not in fields:
                problems.append(
                    (
                        f"rules.{rule_index}.birth_date_field",
                        f"rule refers to unknown field '{rule.birth_date_field}'",
                    )
                )
            if rule.on_option_date_of and rule.on_option_date_of not in fields:
                problems.append(
                    (
                        f"rules.{rule_index}.on_option_date_of",
                        f"rule refers to unknown field '{rule.on_option_date_of}'",
                    )
                )
        if self.fee and isinstance(self.fee.rule, PerItemFee | QuantityFee) and self.fee.rule.field not in fields:
            problems.append(
                ("fee.rule.field", f"fee refers to unknown field '{self.fee.rule.field}'")
            )
        for index, exemption in enumerate(self.fee.exemptions if self.fee else []):
            if exemption.when.field not in fields:
                problems.append(
                    (
                        f"fee.exemptions.{index}.when.field",
                        f"fee exemption refers to unknown field '{exemption.when.field}'",
                    )
                )
        return problems

    @property
    def fields(self) -> list[FormField]:
        return [field for section in self.sections for field in section.fields]

    def field(self, field_id: str) -> FormField:
        for field in self.fields:
            if field.id == field_id:
                return field
        raise KeyError(field_id)

    def is_open(self, moment: datetime) -> bool:
        return self.window is None or self.window.contains(moment)

    def closed_choices(self, answers: dict, moment: datetime) -> list[tuple[FormField, Option]]:
        """Return the chosen options whose own window does not contain ``moment``."""
        if self.window_overridden:
            return []
        closed = []
        for form_field in self.fields:
            if form_field.type != "single_choice":
                continue
            for option in form_field.options:
                chosen = answers.get(form_field.id) == option.value
                if chosen and option.window and not option.window.contains(moment):
                    closed.append((form_field, option))
        return closed

    def fee_amount(self, answers: dict) -> int:
        """Compute the fee in yen from the answers; 0 when the procedure has no fee.

        A percentage exemption rounds the reduced fee down to whole yen.
        """
        if self.fee is None:
            return 0
        rule = self.fee.rule
        if isinstance(rule, FixedFee):
            amount = rule.amount
        elif isinstance(rule, PerItemFee):
            selected = answers.get(rule.field) or []
            amount = rule.amount * len(selected)
        else:
            quantity = answers.get(rule.field)
            count = quantity if isinstance(quantity, int) and not isinstance(quantity, bool) else 0
            amount = rule.fixed_amount + rule.unit_amount * max(count, 0)

        exemption = self.fee_exemption(answers)
        if exemption is not None:
            amount = amount * (100 - exemption.percent) // 100
        return amount

    def fee_exemption(self, answers: dict) -> Exemption | None:
        """Return the first exemption whose condition the answers meet."""
        if self.fee is None:
            return None
        return next((item for item in self.fee.exemptions if item.when.matches(answers)), None)
