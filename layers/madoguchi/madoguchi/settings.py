"""Runtime settings, read from environment variables and validated at cold start."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from madoguchi.environment import EnvironmentSettings


class ApproverDelegation(BaseModel):
    """A substitute (代理) who receives an approver's links, optionally for a period only."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    substitute: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= now) and (
            self.ends_at is None or now < self.ends_at
        )


class Settings(EnvironmentSettings):
    """Every setting an operator can change; the README lists them in a table."""

    table_name: str = Field(description="DynamoDB table of applications and approval tasks")
    answers_bucket: str = Field(description="S3 bucket for answers (SSE-KMS)")
    answers_kms_key_id: str = Field(description="KMS key id or ARN that encrypts answers")
    state_machine_arn: str = Field(default="", description="Application workflow state machine")
    sender_email: str = Field(description="Verified SES sender of every e-mail")
    public_base_url: str = Field(description="Base URL of the site, used in e-mail links")
    signing_secret: str = Field(
        min_length=32, description="Secret that derives applicants' access tokens (HMAC-SHA256)"
    )
    approvers: dict[str, list[str]] = Field(
        default_factory=dict, description="Approver role → e-mail addresses, as JSON"
    )
    approvers_file: Path | None = Field(
        default=None, description="YAML file mapping approver roles to e-mail addresses"
    )
    approval_link_ttl_hours: int = Field(default=72, ge=1, description="Approval link lifetime")
    idempotency_ttl_seconds: int = Field(
        default=86400, ge=60, description="How long an Idempotency-Key is remembered"
    )
    uploads_bucket: str = Field(
        default="", description="S3 bucket of attachments (quarantine/ and accepted/ prefixes)"
    )
    audit_anchors_bucket: str = Field(
        default="",
        description="S3 bucket with Object Lock that keeps a write-once anchor of every history "
        "entry's hash; empty writes no anchors",
    )
    uploads_origin: str = Field(
        default="",
        description="Origin that browsers POST attachments to; added to the CSP connect-src",
    )
    upload_url_ttl_seconds: int = Field(
        default=300, ge=30, le=3600, description="Lifetime of a presigned POST for one file"
    )
    download_url_ttl_seconds: int = Field(
        default=60, ge=10, le=900, description="Lifetime of a staff download link (presigned GET)"
    )
    upload_default_max_size_mb: float = Field(
        default=10, gt=0, description="Size limit of a file field that sets no max_size_mb"
    )
    stage: str = Field(
        default="local",
        description="Deployment stage; Stripe metadata carries it so that events of other stages "
        "sharing the Stripe account are acknowledged and ignored",
    )
    stripe_api_key: str = Field(
        default="",
        description="Stripe secret key; empty or sk_local_… uses the local payment simulator",
    )
    stripe_webhook_secret: str = Field(
        default="", description="Signing secret (whsec_…) of the Stripe webhook endpoint"
    )
    stripe_api_base: str = Field(
        default="",
        description="Stripe API base URL; empty means Stripe itself, or the local simulator "
        "under PUBLIC_BASE_URL/_local/stripe when the key is local",
    )
    payment_timeout_seconds: int | None = Field(
        default=None,
        ge=1,
        description="Replaces every procedure's payment_timeout_hours (demonstrations and tests)",
    )

    approver_delegates: dict[str, list[ApproverDelegation]] = Field(
        default_factory=dict,
        description="Approver role or address → substitutes (代理) with an optional period, as JSON",
    )
    approver_escalations: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Approver role → roles or addresses that a step escalates to after its deadline",
    )
    approval_deadline_scale_seconds_per_day: float = Field(
        default=86400,
        gt=0,
        description="Seconds that one day of a step's deadline lasts; lower only in tests and "
        "local demonstrations",
    )
    approval_final_timeout_seconds: int = Field(
        default=30 * 86400,
        ge=1,
        description="How long an escalated step waits before the application expires",
    )

    @field_validator("approvers", mode="before")
    @classmethod
    def _parse_approvers(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) and value.strip() else value or {}

    @field_validator("approver_delegates", "approver_escalations", mode="before")
    @classmethod
    def _parse_role_lists(cls, value: object) -> object:
        # JSON text from the environment; one item may be written without a list.
        parsed = json.loads(value) if isinstance(value, str) and value.strip() else value or {}
        if isinstance(parsed, dict):
            return {key: item if isinstance(item, list) else [item] for key, item in parsed.items()}
        return parsed

    @field_validator("public_base_url", "uploads_origin")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def approver_emails(self, role: str) -> list[str]:
        """Return the addresses of an approver role, from APPROVERS or APPROVERS_FILE."""
        mapping = dict(self.approvers)
        if self.approvers_file is not None:
            import yaml

            mapping = {**(yaml.safe_load(self.approvers_file.read_text("utf-8")) or {}), **mapping}
        return list(mapping.get(role, []))


@cache
def get_settings() -> Settings:
    return Settings.from_environment()
