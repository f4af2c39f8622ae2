"""Tests of template.yaml: lint, SAM transform and agreement with the code it deploys."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from infra.local.lambdas import load_handler
from infra.local.provision import LocalFunction, load_template, translate

TEMPLATE = ROOT / "template.yaml"
PARAMETERS = {
    "Stage": "test",
    "SenderEmail": "no-reply@example.pref.lg.jp",
    "PublicBaseUrl": "https://shinsei.example.pref.lg.jp",
    "StaffApiToken": "unit-test-staff-token-000000000",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]


def api_functions(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the functions that have Api events; each is a Chalice app."""
    return {
        logical_id: resource
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Serverless::Function"
        and any(e["Type"] == "Api" for e in resource["Properties"].get("Events", {}).values())
    }


def api_events(resource: dict[str, Any]) -> set[tuple[str, str]]:
    events = resource["Properties"]["Events"].values()
    return {
        (event["Properties"]["Path"], event["Properties"]["Method"].upper())
        for event in events
        if event["Type"] == "Api"
    }


def chalice_routes(logical_id: str, resource: dict[str, Any]) -> set[tuple[str, str]]:
    properties = resource["Properties"]
    function = LocalFunction(logical_id, logical_id, ROOT / properties["CodeUri"], properties["Handler"])
    app = load_handler(function)
    return {(path, method) for path, methods in app.routes.items() for method in methods}


def test_cfn_lint_no_errors() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--format", "parseable", str(TEMPLATE)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )

    errors = [line for line in result.stdout.splitlines() if ":E" in line]
    assert errors == [], result.stdout
    assert result.returncode in (0, 4, 8), result.stdout + result.stderr


def test_sam_transform(local_stack: object, template: dict[str, Any]) -> None:
    # The translator reads managed policies from IAM; the local stack's moto serves them.
    iam = boto3.client("iam")
    cfn = translate(template, PARAMETERS, iam)

    types = {resource["Type"] for resource in cfn["Resources"].values()}
    assert "AWS::Lambda::Function" in types
    assert "AWS::StepFunctions::StateMachine" in types
    assert "AWS::ApiGateway::RestApi" in types
    assert not any(t.startswith("AWS::Serverless::") for t in types)


def test_api_functions_found(resources: dict[str, Any]) -> None:
    assert {"ApiFunction", "ChatFunction"} <= set(api_functions(resources))


def test_every_chalice_route_has_api_event(resources: dict[str, Any]) -> None:
    for logical_id, resource in api_functions(resources).items():
        missing = chalice_routes(logical_id, resource) - api_events(resource)

        assert missing == set(), logical_id


def test_every_api_event_has_chalice_route(resources: dict[str, Any]) -> None:
    for logical_id, resource in api_functions(resources).items():
        unrouted = api_events(resource) - chalice_routes(logical_id, resource)

        assert unrouted == set(), logical_id


def test_no_route_served_twice(resources: dict[str, Any]) -> None:
    seen: dict[tuple[str, str], str] = {}
    for logical_id, resource in api_functions(resources).items():
        for route in api_events(resource):
            assert route not in seen, f"{route} in {logical_id} and {seen.get(route)}"
            seen[route] = logical_id


def test_api_events_use_api(resources: dict[str, Any]) -> None:
    for logical_id, resource in api_functions(resources).items():
        for name, event in resource["Properties"]["Events"].items():
            if event["Type"] == "Api":
                assert event["Properties"]["RestApiId"] == {"Ref": "Api"}, f"{logical_id}.{name}"


def test_state_machine_substitutions_defined(resources: dict[str, Any]) -> None:
    properties = resources["ApplicationStateMachine"]["Properties"]
    definition = (ROOT / properties["DefinitionUri"]).read_text(encoding="utf-8")

    used = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", definition))

    assert used
    assert used <= set(properties["DefinitionSubstitutions"])


def test_state_machine_definition_parses(resources: dict[str, Any]) -> None:
    properties = resources["ApplicationStateMachine"]["Properties"]
    definition = json.loads((ROOT / properties["DefinitionUri"]).read_text(encoding="utf-8"))

    targets = {
        state.get("Next") for state in definition["States"].values()
    } | {definition["StartAt"]}
    for state in definition["States"].values():
        targets |= {choice["Next"] for choice in state.get("Choices", [])}
        targets |= {catch["Next"] for catch in state.get("Catch", [])}
        targets.add(state.get("Default"))
    assert targets - {None} <= set(definition["States"])


def test_substitutions_are_function_arns(resources: dict[str, Any]) -> None:
    substitutions = resources["ApplicationStateMachine"]["Properties"]["DefinitionSubstitutions"]

    for name, value in substitutions.items():
        target, attribute = value["Fn::GetAtt"]
        assert resources[target]["Type"] == "AWS::Serverless::Function", name
        assert attribute == "Arn", name


def buckets(resources: dict[str, Any]) -> dict[str, Any]:
    return {name: r for name, r in resources.items() if r["Type"] == "AWS::S3::Bucket"}


def test_template_has_buckets(resources: dict[str, Any]) -> None:
    assert buckets(resources)


def test_buckets_block_public_access(resources: dict[str, Any]) -> None:
    for name, bucket in buckets(resources).items():
        block = bucket["Properties"]["PublicAccessBlockConfiguration"]
        assert block == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, name


def bucket_algorithms(bucket: dict[str, Any]) -> list[str]:
    rules = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    return [rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] for rule in rules]


def test_buckets_encrypted(resources: dict[str, Any]) -> None:
    for name, bucket in buckets(resources).items():
        assert bucket_algorithms(bucket) in (["aws:kms"], ["AES256"]), name


def test_personal_data_buckets_use_kms(resources: dict[str, Any]) -> None:
    # Answers and attachments hold personal data; open data and the inventory do not.
    personal = [name for name in ("AnswersBucket", "UploadsBucket") if name in resources]

    assert "AnswersBucket" in personal
    for name in personal:
        assert bucket_algorithms(resources[name]) == ["aws:kms"], name


def test_every_function_has_log_group(resources: dict[str, Any]) -> None:
    functions = [n for n, r in resources.items() if r["Type"] == "AWS::Serverless::Function"]
    log_groups = {
        n: r["Properties"] for n, r in resources.items() if r["Type"] == "AWS::Logs::LogGroup"
    }
    names = {json.dumps(p["LogGroupName"]): p for p in log_groups.values()}

    assert functions
    for function in functions:
        expected = json.dumps({"Fn::Sub": f"/aws/lambda/${{{function}}}"})
        assert expected in names, function
        assert names[expected].get("RetentionInDays"), function


def test_state_machine_log_group_retention(resources: dict[str, Any]) -> None:
    assert resources["StateMachineLogGroup"]["Properties"]["RetentionInDays"] == {
        "Ref": "LogRetentionDays"
    }


def test_table_encrypted_with_pitr(resources: dict[str, Any]) -> None:
    properties = resources["ApplicationsTable"]["Properties"]

    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert properties["TimeToLiveSpecification"]["AttributeName"] == "expires_at_epoch"


# Functions whose code appends history entries, so each writes the entries' audit anchors.
ANCHOR_WRITERS = {
    "ApiFunction", "UpdateStatusFunction", "RequestApprovalFunction", "CheckAttachmentsFunction",
    "IdentityFunction", "IdentityCheckFunction", "PaymentsFunction", "PaymentTaskFunction",
    "ReconcilePaymentsFunction", "CorrectionsFunction",
}


def allow_statements(resources: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Return every Allow statement of the functions' inline policies and of managed policies."""
    found = []
    for name, resource in resources.items():
        if resource["Type"] == "AWS::Serverless::Function":
            for policy in resource["Properties"].get("Policies", []):
                if isinstance(policy, dict):
                    found += [(name, statement) for statement in policy.get("Statement", [])]
        elif resource["Type"] == "AWS::IAM::ManagedPolicy":
            found += [(name, statement) for statement in resource["Properties"]["PolicyDocument"]["Statement"]]
    return [(name, statement) for name, statement in found if statement.get("Effect") == "Allow"]


def test_anchor_bucket_compliance_lock(resources: dict[str, Any]) -> None:
    properties = resources["AuditAnchorsBucket"]["Properties"]

    assert properties["ObjectLockEnabled"] is True
    assert properties["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": {"Ref": "AuditAnchorRetentionYears"}}},
    }
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert resources["AuditAnchorsBucket"]["DeletionPolicy"] == "Retain"


def test_anchor_retention_default(template: dict[str, Any]) -> None:
    assert template["Parameters"]["AuditAnchorRetentionYears"]["Default"] == 10


def test_anchor_bucket_in_environment(template: dict[str, Any]) -> None:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]

    assert variables["AUDIT_ANCHORS_BUCKET"] == {"Ref": "AuditAnchorsBucket"}


def test_anchor_writers_have_policy(resources: dict[str, Any]) -> None:
    holders = {
        name for name, resource in resources.items()
        if resource["Type"] == "AWS::Serverless::Function"
        and {"Ref": "AuditAnchorWriterPolicy"} in resource["Properties"].get("Policies", [])
    }

    assert holders == ANCHOR_WRITERS


def test_no_function_deletes_anchors(resources: dict[str, Any]) -> None:
    for name, statement in allow_statements(resources):
        if "AuditAnchorsBucket" not in json.dumps(statement["Resource"]):
            continue
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]

        assert set(actions) <= {"s3:PutObject", "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucketVersions"}, name
