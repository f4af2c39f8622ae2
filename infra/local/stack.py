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
    _front: Any = None
    _stack: Any = None
    resources: dict[str, str] = field(default_factory=dict)

    def start(self) -> LocalStack:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        # Moto warns about resource types it cannot create (secrets, bucket policies);
        # locally they have no effect because handlers read settings from this process.
        logging.getLogger("moto").setLevel(logging.ERROR)
        warnings.filterwarnings("ignore", message="Tried to parse", category=UserWarning)
        self._start_local_aws()
        stack = self._provision()
        self._configure_environment(stack.resources)
        self._start_front()
        return self

    def stop(self) -> None:
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
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_NAMESPACE": "madoguchi",
            }
        )
        if self.window_overrides is not None:
            os.environ["WINDOW_OVERRIDES_FILE"] = str(self.window_overrides)

    def _start_front(self) -> None:
        from chalice.config import Config
        from chalice.local import LocalGateway

        from infra.local import server
        from infra.local.lambdas import load_handler

        # The front must know its port before the API reads PUBLIC_BASE_URL.
        import socket

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
        self._front = server.serve(application, HOST, self.port)
