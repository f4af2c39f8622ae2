"""Start the whole embedded stack in one process, on 127.0.0.1 only.

moto server (local AWS) → resources from template.yaml → Lambda handlers in-process →
Chalice API and pages behind a local gateway → mail outbox.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
REGION = "ap-northeast-1"
ACCOUNT_ID = "123456789012"  # moto's default account
HOST = "127.0.0.1"
LOCAL_STRIPE_WEBHOOK_SECRET = "whsec_local_madoguchi_payment_simulator"
LOCAL_OIDC_CLIENT_ID = "madoguchi-local"
# Staff sign in through a second client of the same local provider.
LOCAL_STAFF_OIDC_CLIENT_ID = "madoguchi-staff-local"

DEFAULT_APPROVERS = {
    "environmental-health-staff": ["seikatsu-tanto@example.pref.lg.jp"],
    "environmental-health-chief": ["seikatsu-kakaricho@example.pref.lg.jp"],
    "environmental-health-head": ["seikatsu-kacho@example.pref.lg.jp"],
    "health-centre-staff": ["hokenjo-tanto@example.pref.lg.jp"],
    "nature-conservation-staff": ["shizen-tanto@example.pref.lg.jp"],
    "nature-conservation-head": ["shizen-kacho@example.pref.lg.jp"],
}


@dataclass
class LocalStack:
    """The running stack; ``url`` is the site, ``aws_endpoint`` the local AWS."""

    port: int = 8000
    window_overrides: Path | None = None
    approvers: dict[str, list[str]] = field(default_factory=lambda: dict(DEFAULT_APPROVERS))
    staff_api_token: str = field(
        default_factory=lambda: os.environ.get("STAFF_API_TOKEN") or secrets.token_urlsafe(24)
    )
    url: str = ""
    aws_endpoint: str = ""
    _moto: Any = None
    stripe_simulator: Any = None
    _front: Any = None
    _stack: Any = None
    # Local OpenID Connect provider (infra/local/oidc_provider.py) on its own port.
    identity_provider: Any = None
    resources: dict[str, str] = field(default_factory=dict)
    # Sign notices with a self-signed test certificate kept in the local Secrets Manager;
    # ``notice_signing_certificate_pem`` is its certificate, for validating signatures.
    sign_notices: bool = True
    notice_signing_certificate_pem: str = ""

    def start(self) -> LocalStack:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        # Moto warns about resource types it cannot create (secrets, bucket policies);
        # locally they have no effect because handlers read settings from this process.
        logging.getLogger("moto").setLevel(logging.ERROR)
        warnings.filterwarnings("ignore", message="Tried to parse", category=UserWarning)
        self._start_local_aws()
        stack = self._provision()
        from infra.local import oidc_provider

        self.identity_provider = oidc_provider.start(HOST)
        self._configure_environment(stack.resources)
        self._start_front()
        self._load_handlers()
        self._configure_uploads_bucket(stack.resources)
        self.identity_provider.provider.add_redirect_uri(LOCAL_OIDC_CLIENT_ID, f"{self.url}/identity/callback")
        self.identity_provider.provider.add_redirect_uri(LOCAL_STAFF_OIDC_CLIENT_ID, f"{self.url}/staff/callback")
        self._seed_inventory()
        return self

    def stop(self) -> None:
        if self.identity_provider is not None:
            self.identity_provider.stop()
        if self._front is not None:
            self._front.shutdown()
        if self._moto is not None:
            self._moto.stop()

    def _start_local_aws(self) -> None:
        from moto.server import ThreadedMotoServer

        # Fake credentials: nothing here may reach a real account.
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
            }
        )
        os.environ.pop("AWS_PROFILE", None)
        os.environ.pop("AWS_SESSION_TOKEN", None)
        self._moto = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
        self._moto.start()
        _, moto_port = self._moto.get_host_and_port()
        self.aws_endpoint = f"http://{HOST}:{moto_port}"
        os.environ["AWS_ENDPOINT_URL"] = self.aws_endpoint
        # The Step Functions interpreter builds its own clients at localhost:MOTO_PORT.
        os.environ["MOTO_PORT"] = str(moto_port)

        import requests

        requests.post(
            f"{self.aws_endpoint}/moto-api/config",
            json={"stepfunctions": {"execute_state_machine": True}},
            timeout=5,
        ).raise_for_status()

    def _provision(self) -> Any:
        from infra.local import lambdas, outbox, provision

        parameters = {
            "Stage": "local",
            "SenderEmail": "no-reply@example.pref.lg.jp",
            "PublicBaseUrl": "http://placeholder.invalid",
            "ApproversJson": json.dumps(self.approvers, ensure_ascii=False),
            "StaffApiToken": self.staff_api_token,
        }
        stack = provision.provision(parameters, REGION)
        lambdas.install(stack.functions, REGION, ACCOUNT_ID)
        outbox.install()

        import boto3

        # The template's AWS::SES::EmailIdentity is not supported by moto's CloudFormation.
        boto3.client("ses", region_name=REGION).verify_email_identity(
            EmailAddress=parameters["SenderEmail"]
        )
        self._mirror_state_machines(stack.resources)
        self.resources = stack.resources
        self._stack = stack
        return stack

    def _load_handlers(self) -> None:
        """Import every handler once, as Lambda's init phase would, before any event arrives."""
        from infra.local.lambdas import load_handler

        for function in self._stack.functions.values():
            load_handler(function)

    def _mirror_state_machines(self, resources: dict[str, str]) -> None:
        """Copy the stack's state machines to the backend that executes them.

        With ``execute_state_machine`` on, moto's Step Functions API uses its ASL
        interpreter backend, but its CloudFormation writes to the plain backend.
        Recreating each machine under the same name keeps the ARN.
        """
        import boto3
        from moto.stepfunctions.models import stepfunctions_backends

        plain = stepfunctions_backends[ACCOUNT_ID][REGION]
        client = boto3.client("stepfunctions", region_name=REGION)
        for arn in resources.values():
            if ":stateMachine:" not in arn:
                continue
            machine = plain.describe_state_machine(arn)
            client.create_state_machine(
                name=machine.name, definition=machine.definition, roleArn=machine.roleArn,
                type="STANDARD",
            )

    def _configure_environment(self, resources: dict[str, str]) -> None:
        """Set what the template's Globals and function environments set in AWS.

        Every handler shares this process, so one environment serves them all.
        """
        import boto3

        key_id = resources["AnswersKey"]
        key_arn = boto3.client("kms", region_name=REGION).describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]
        state_machine_arn = resources["ApplicationStateMachine"]
        os.environ.update(
            {
                "TABLE_NAME": resources["ApplicationsTable"],
                "ANSWERS_BUCKET": resources["AnswersBucket"],
                "ANSWERS_KMS_KEY_ID": key_arn,
                "STATE_MACHINE_ARN": state_machine_arn,
                "SENDER_EMAIL": "no-reply@example.pref.lg.jp",
                "APPROVERS": json.dumps(self.approvers, ensure_ascii=False),
                "SIGNING_SECRET": os.environ.get("SIGNING_SECRET") or secrets.token_urlsafe(48),
                "POWERTOOLS_SERVICE_NAME": "madoguchi-local",
                "STAFF_API_TOKEN": self.staff_api_token,
                # The payment simulator signs webhooks with this secret; a real
                # STRIPE_API_KEY and STRIPE_WEBHOOK_SECRET in the environment win.
                "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET") or LOCAL_STRIPE_WEBHOOK_SECRET,
                "UPLOADS_BUCKET": resources["UploadsBucket"],
                # Presigned POSTs go to the local AWS endpoint (path-style URLs).
                "UPLOADS_ORIGIN": self.aws_endpoint,
                "INVENTORY_BUCKET": resources["InventoryBucket"],
                "OPENDATA_BUCKET": resources["OpenDataBucket"],
                "AUDIT_ANCHORS_BUCKET": resources["AuditAnchorsBucket"],
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_NAMESPACE": "madoguchi",
            }
        )
        if self.window_overrides is not None:
            os.environ["WINDOW_OVERRIDES_FILE"] = str(self.window_overrides)
        # Domain modules log through Powertools child loggers of POWERTOOLS_SERVICE_NAME.
        # In AWS each function's Logger is their parent. Here this one is, so their lines
        # are structured JSON with their extra keys, as in AWS.
        from aws_lambda_powertools import Logger

        self._logger = Logger(service="madoguchi-local")

        # The relying party talks to the local provider; the redirect URI defaults to
        # PUBLIC_BASE_URL/identity/callback, which _start_front sets.
        provider = self.identity_provider.provider
        os.environ.update(
            {
                "OIDC_ISSUER": provider.issuer,
                "OIDC_CLIENT_ID": LOCAL_OIDC_CLIENT_ID,
                "OIDC_CLIENT_PRIVATE_KEY": json.dumps(provider.register_client(LOCAL_OIDC_CLIENT_ID)),
                "OIDC_ACR_VALUES": "aal3",
                # One refetch per second, so that a rotation test need not wait a minute.
                "OIDC_JWKS_MIN_REFRESH_SECONDS": "1",
                "STAFF_OIDC_ISSUER": provider.issuer,
                "STAFF_OIDC_CLIENT_ID": LOCAL_STAFF_OIDC_CLIENT_ID,
                "STAFF_OIDC_CLIENT_PRIVATE_KEY": json.dumps(
                    provider.register_client(LOCAL_STAFF_OIDC_CLIENT_ID)
                ),
                "EXPORT_FUNCTION_NAME": resources["ExportApplicationsFunction"],
            }
        )
        if self.sign_notices:
            from infra.local.notice_signing import store_test_signing_key

            secret_arn, self.notice_signing_certificate_pem = store_test_signing_key(REGION)
            os.environ["NOTICE_SIGNING_SECRET_ARN"] = secret_arn
        from madoguchi.identity.service import oidc_client
        from madoguchi.identity.settings import get_identity_settings

        get_identity_settings.cache_clear()
        oidc_client.cache_clear()
        from madoguchi.notices.settings import get_notice_settings
        from madoguchi.staff.session import staff_oidc_client
        from madoguchi.staff.settings import get_staff_settings

        get_notice_settings.cache_clear()
        get_staff_settings.cache_clear()
        staff_oidc_client.cache_clear()

    def _seed_inventory(self) -> None:
        """Store the synthetic inventory and publish the open data once, so the dashboard has data."""
        from madoguchi.inventory.service import publish_open_data, seed_inventory
        from madoguchi.inventory.store import get_inventory_settings
        from madoguchi.inventory.synthetic import generate_inventory

        get_inventory_settings.cache_clear()
        seed_inventory(generate_inventory())
        publish_open_data()

    def _configure_uploads_bucket(self, resources: dict[str, str]) -> None:
        """Apply the uploads bucket settings that moto's CloudFormation skips.

        moto 5.2.5 creates an AWS::S3::Bucket with its encryption and tags only, so
        versioning, CORS (for this site's origin), lifecycle rules and the S3 event
        notification of the template's S3 event sources are set through the S3 API.
        """
        import boto3

        from infra.local.provision import load_template

        template = load_template()
        bucket = resources["UploadsBucket"]
        properties = template["Resources"]["UploadsBucket"]["Properties"]
        s3 = boto3.client("s3", region_name=REGION)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})

        cors_rules = [
            {
                "AllowedOrigins": [self.url],
                "AllowedMethods": rule["AllowedMethods"],
                "MaxAgeSeconds": rule.get("MaxAge", 0),
            }
            for rule in properties["CorsConfiguration"]["CorsRules"]
        ]
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": cors_rules})
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket,
            LifecycleConfiguration={
                "Rules": [_lifecycle_rule(rule) for rule in properties["LifecycleConfiguration"]["Rules"]]
            },
        )

        notifications = []
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] != "AWS::Serverless::Function":
                continue
            for event in resource["Properties"].get("Events", {}).values():
                if event["Type"] != "S3" or event["Properties"]["Bucket"] != {"Ref": "UploadsBucket"}:
                    continue
                events = event["Properties"]["Events"]
                notifications.append(
                    {
                        "LambdaFunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:"
                        f"{resources[logical_id]}",
                        "Events": events if isinstance(events, list) else [events],
                        "Filter": {"Key": {"FilterRules": event["Properties"]["Filter"]["S3Key"]["Rules"]}},
                    }
                )
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration={"LambdaFunctionConfigurations": notifications},
        )

    def _start_front(self) -> None:
        # The front must know its port before the API reads PUBLIC_BASE_URL.
        import socket

        from chalice.config import Config
        from chalice.local import LocalGateway

        from infra.local import server
        from infra.local.lambdas import load_handler

        if self.port == 0:
            with socket.socket() as probe:
                probe.bind((HOST, 0))
                self.port = probe.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"
        os.environ["PUBLIC_BASE_URL"] = self.url

        from madoguchi.procedures import load_catalog
        from madoguchi.settings import get_settings

        get_settings.cache_clear()
        load_catalog.cache_clear()
        get_settings()
        load_catalog()

        from chalice.local import RouteMatcher

        # Every function with Api events is a Chalice app; API Gateway routes each
        # path to the function whose events declare it, so the front does the same.
        # chalice.json carries the stage settings the chalice CLI would read.
        chalice_settings = json.loads((ROOT / "chalice.json").read_text(encoding="utf-8"))
        gateways = []
        for function in self._stack.functions.values():
            if not function.has_api_events:
                continue
            app = load_handler(function)
            config = Config(
                chalice_stage="local",
                user_provided_params={"chalice_app": app},
                config_from_disk=chalice_settings,
            )
            gateways.append((RouteMatcher(list(app.routes)), LocalGateway(app, config)))
        application = server.FrontApplication(gateways, ACCOUNT_ID, REGION)
        from infra.local.stripe_simulator import StripeSimulator

        self.stripe_simulator = StripeSimulator(
            site_url=self.url,
            webhook_url=f"{self.url}/api/webhooks/stripe",
            webhook_secret=os.environ["STRIPE_WEBHOOK_SECRET"],
        ).start()
        application.stripe_simulator = self.stripe_simulator
        self._front = server.serve(application, HOST, self.port)


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """Convert a CloudFormation lifecycle rule to the shape of PutBucketLifecycleConfiguration."""
    tags = [{"Key": tag["Key"], "Value": tag["Value"]} for tag in rule.get("TagFilters", [])]
    prefix = rule.get("Prefix", "")
    converted: dict[str, Any] = {
        "ID": rule["Id"],
        "Status": rule["Status"],
        "Filter": {"And": {"Prefix": prefix, "Tags": tags}} if tags else {"Prefix": prefix},
    }
    if "ExpirationInDays" in rule:
        converted["Expiration"] = {"Days": rule["ExpirationInDays"]}
    for name in ("NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload"):
        if name in rule:
            converted[name] = rule[name]
    return converted
