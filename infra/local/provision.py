"""Provision the SAM template into moto, the way CloudFormation would in AWS.

Steps:
1. Parse ``template.yaml`` and point local code paths at placeholder S3 objects and
   image functions at a placeholder image, because the SAM translator accepts only S3
   locations and image URIs.
2. Translate SAM into CloudFormation with ``samtranslator`` (managed policies come
   from moto's IAM).
3. Adapt what moto's CloudFormation cannot create: API Gateway resources are
   dropped (the local HTTP server plays the API), the state machine definition is
   inlined with ``Fn::Sub`` (moto ignores DefinitionSubstitutions), and the SES
   identity is verified through the SES API.
4. Create the stack, turn on the Object Lock of buckets that declare it (moto's
   CloudFormation ignores ObjectLockEnabled) and return the physical ids of its
   resources.
"""

from __future__ import annotations

import copy
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
CODE_BUCKET = "madoguchi-local-code"
STACK_NAME = "madoguchi-local"
# Never pulled. moto 5.2.5's CloudFormation creates an image function from any ImageUri
# without looking for the image in ECR (unless MOTO_LAMBDA_STUB_ECR=false), and the
# local stack runs its handler in-process (see local_function).
LOCAL_IMAGE_REPOSITORY = "madoguchi-local/image-placeholder"
_UNSUPPORTED_PREFIXES = ("AWS::ApiGateway::", "AWS::SES::")


@dataclass(frozen=True)
class LocalFunction:
    logical_id: str
    physical_name: str
    code_dir: Path
    handler: str
    has_api_events: bool = False


@dataclass(frozen=True)
class ProvisionedStack:
    resources: dict[str, str]
    functions: dict[str, LocalFunction]

    def physical_id(self, logical_id: str) -> str:
        return self.resources[logical_id]


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    return yaml_parse(path.read_text(encoding="utf-8"))


def translate(template: dict[str, Any], parameters: dict[str, str], iam: Any) -> dict[str, Any]:
    """Translate SAM to CloudFormation, with local code paths replaced by S3 placeholders.

    An image function gets a placeholder ``ImageUri``, because SAM requires one and only
    ``sam build`` fills it in after building the image.
    """
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.public.translator import ManagedPolicyLoader
    from samtranslator.translator.transform import transform

    sam = copy.deepcopy(template)
    for logical_id, resource in sam["Resources"].items():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if isinstance(properties.get(key), str):
                properties[key] = f"s3://{CODE_BUCKET}/{properties[key].strip('/') or 'root'}.zip"
        if properties.get("PackageType") == "Image":
            properties.setdefault("ImageUri", f"{LOCAL_IMAGE_REPOSITORY}:{logical_id}")
    try:
        return transform(sam, parameters, ManagedPolicyLoader(iam))
    except InvalidDocumentException as exc:
        messages = "; ".join(str(cause) for cause in exc.causes)
        raise ValueError(f"template.yaml is not valid SAM: {messages}") from exc


def adapt_for_moto(cfn: dict[str, Any], template: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of the CloudFormation template that moto's CloudFormation can create."""
    adapted = copy.deepcopy(cfn)
    resources = adapted["Resources"]
    for logical_id in list(resources):
        resource_type = resources[logical_id]["Type"]
        if resource_type.startswith(_UNSUPPORTED_PREFIXES) or resource_type == "AWS::Lambda::Permission" and "Api" in json.dumps(
            resources[logical_id]["Properties"].get("SourceArn", "")
        ):
            del resources[logical_id]

    for resource in resources.values():
        # CloudFormation accepts a key policy as an object, but moto's KMS then fails
        # to parse it on every call unless it is a JSON string.
        if resource["Type"] == "AWS::KMS::Key":
            properties = resource["Properties"]
            properties["KeyPolicy"] = json.dumps(properties["KeyPolicy"])

    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::StepFunctions::StateMachine":
            continue
        sam_properties = template["Resources"][logical_id]["Properties"]
        definition = (ROOT / sam_properties["DefinitionUri"]).read_text(encoding="utf-8")
        properties = resource["Properties"]
        substitutions = properties.pop("DefinitionSubstitutions", {})
        properties.pop("DefinitionS3Location", None)
        properties["DefinitionString"] = _substituted(definition, substitutions)
        # Moto cannot create log deliveries.
        properties.pop("LoggingConfiguration", None)

    adapted["Resources"] = _in_dependency_order(resources)
    return adapted


def _substituted(text: str, substitutions: dict[str, Any]) -> dict[str, Any]:
    """Return ``Fn::Join`` parts that put each ``${Name}`` substitution into ``text``.

    Moto's ``Fn::Sub`` turns ``$$`` into ``$``, which would break the context object
    path ``$$.Task.Token``, so the substitution is spelled as a join instead.
    """
    parts: list[Any] = []
    position = 0
    for match in re.finditer(r"\$\{([A-Za-z0-9]+)\}", text):
        name = match.group(1)
        if name not in substitutions:
            raise ValueError(f"state machine definition uses ${{{name}}} but it has no substitution")
        parts.append(text[position : match.start()])
        parts.append(substitutions[name])
        position = match.end()
    parts.append(text[position:])
    return {"Fn::Join": ["", parts]}


def _references(node: Any, names: set[str]) -> set[str]:
    """Return the logical ids that ``node`` refers to through Ref, Fn::GetAtt or Fn::Sub."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str) and value in names:
                found.add(value)
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) else str(value).split(".")[0]
                if target in names:
                    found.add(target)
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                for name in re.findall(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}", text):
                    if name in names:
                        found.add(name)
            found |= _references(value, names)
    elif isinstance(node, list):
        for item in node:
            found |= _references(item, names)
    return found


def _in_dependency_order(resources: dict[str, Any]) -> dict[str, Any]:
    """Order resources so each comes after those it refers to.

    Moto's CloudFormation resolves Ref lazily but looks Fn::GetAtt targets up
    without creating them, so a GetAtt to a later resource fails.
    """
    names = set(resources)
    ordered: dict[str, Any] = {}
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered or name in visiting:
            return
        visiting.add(name)
        for dependency in sorted(_references(resources[name], names) - {name}):
            visit(dependency)
        visiting.discard(name)
        ordered[name] = resources[name]

    for name in resources:
        visit(name)
    return ordered


def _enable_object_lock(
    s3: Any, cfn: dict[str, Any], resources: dict[str, str], parameters: dict[str, str]
) -> None:
    """Turn on the Object Lock and versioning that template buckets declare.

    moto 5.2.5's CloudFormation creates an AWS::S3::Bucket with its encryption and tags
    only and ignores ObjectLockEnabled, so the still-empty bucket gets them through the
    S3 API, which moto supports. Without this, local anchors would not be locked.
    """
    for logical_id, resource in cfn["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] != "AWS::S3::Bucket" or not properties.get("ObjectLockEnabled"):
            continue
        configuration = copy.deepcopy(properties["ObjectLockConfiguration"])
        retention = configuration.get("Rule", {}).get("DefaultRetention", {})
        for unit in ("Days", "Years"):
            if unit in retention:
                retention[unit] = int(_parameter_value(retention[unit], cfn, parameters))
        bucket = resources[logical_id]
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=configuration)


def _parameter_value(value: Any, cfn: dict[str, Any], parameters: dict[str, str]) -> Any:
    """Resolve a literal or a ``Ref`` to a template parameter (given value, else its default)."""
    if not (isinstance(value, dict) and set(value) == {"Ref"}):
        return value
    name = value["Ref"]
    if name in parameters:
        return parameters[name]
    return cfn["Parameters"][name]["Default"]


def _placeholder_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "Local placeholder: handlers run in-process.")
    return buffer.getvalue()


def provision(parameters: dict[str, str], region: str) -> ProvisionedStack:
    """Create every resource of template.yaml in the local AWS and return their ids."""
    s3 = boto3.client("s3", region_name=region)
    iam = boto3.client("iam", region_name=region)
    cloudformation = boto3.client("cloudformation", region_name=region)

    template = load_template()
    cfn = translate(template, parameters, iam)
    adapted = adapt_for_moto(cfn, template)

    s3.create_bucket(Bucket=CODE_BUCKET, CreateBucketConfiguration={"LocationConstraint": region})
    payload = _placeholder_zip()
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if isinstance(properties.get(key), str):
                object_key = f"{properties[key].strip('/') or 'root'}.zip"
                s3.put_object(Bucket=CODE_BUCKET, Key=object_key, Body=payload)

    stack_parameters = [
        {"ParameterKey": key, "ParameterValue": value}
        for key, value in parameters.items()
        if key in adapted.get("Parameters", {})
    ]
    cloudformation.create_stack(
        StackName=STACK_NAME,
        TemplateBody=json.dumps(adapted),
        Parameters=stack_parameters,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    summaries = cloudformation.list_stack_resources(StackName=STACK_NAME)["StackResourceSummaries"]
    resources = {item["LogicalResourceId"]: item["PhysicalResourceId"] for item in summaries}
    _enable_object_lock(s3, adapted, resources, parameters)

    functions = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        physical_name = resources[logical_id]
        functions[physical_name] = local_function(logical_id, physical_name, resource)
    return ProvisionedStack(resources=resources, functions=functions)


def local_function(logical_id: str, physical_name: str, resource: dict[str, Any]) -> LocalFunction:
    """Return where the local stack finds the handler of a template function.

    A zip function runs ``Handler`` from ``CodeUri``. An image function runs the module
    that ``ImageConfig.Command`` names from the folder of its Dockerfile, which copies
    that folder's handler into the image. Locally it uses this machine's Python packages
    and Debian libraries, not the image's.
    """
    properties = resource["Properties"]
    if properties.get("PackageType") == "Image":
        command = properties.get("ImageConfig", {}).get("Command")
        if not command:
            raise ValueError(
                f"{logical_id} is an image function without ImageConfig.Command; "
                "set it to the handler that the Dockerfile's CMD names"
            )
        metadata = resource.get("Metadata", {})
        if "Dockerfile" not in metadata:
            raise ValueError(f"{logical_id} is an image function without Metadata.Dockerfile")
        dockerfile = ROOT / metadata.get("DockerContext", ".") / metadata["Dockerfile"]
        code_dir, handler = dockerfile.parent, command[0]
    else:
        code_dir, handler = ROOT / properties["CodeUri"], properties["Handler"]
    return LocalFunction(
        logical_id=logical_id,
        physical_name=physical_name,
        code_dir=code_dir,
        handler=handler,
        has_api_events=any(
            event.get("Type") == "Api" for event in properties.get("Events", {}).values()
        ),
    )
