"""Tests of IssueNoticeFunction's container image: the template, the Dockerfile, the
Debian package list that the Makefile shares with it, and how the local stack runs it."""

from __future__ import annotations

import copy
import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from infra.local.lambdas import load_handler
from infra.local.provision import load_template, local_function, translate

NOTICE_DIR = ROOT / "functions/issue_notice"
DOCKERFILE = NOTICE_DIR / "Dockerfile"
PACKAGE_LIST = NOTICE_DIR / "debian-packages.txt"
LAYER_REQUIREMENTS = "layers/madoguchi/requirements.txt"
PARAMETERS = {
    "Stage": "test",
    "SenderEmail": "no-reply@example.pref.lg.jp",
    "PublicBaseUrl": "https://shinsei.example.pref.lg.jp",
    "StaffApiToken": "unit-test-staff-token-000000000",
}


def dockerfile_instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """Return (INSTRUCTION, arguments) pairs, with continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        text = pending + stripped
        pending = ""
        keyword, _, arguments = text.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def dockerfile_arguments(instruction: str) -> list[str]:
    """Return the arguments of every ``instruction`` (e.g. RUN) in the Dockerfile."""
    return [arguments for keyword, arguments in dockerfile_instructions() if keyword == instruction]


def dockerfile_copies() -> dict[str, str]:
    """Return the Dockerfile's COPY instructions as source → destination."""
    copies = {}
    for arguments in dockerfile_arguments("COPY"):
        source, destination = shlex.split(arguments)
        copies[source] = destination
    return copies


def dockerfile_runs() -> list[str]:
    return dockerfile_arguments("RUN")


def listed_packages() -> list[str]:
    lines = PACKAGE_LIST.read_text(encoding="utf-8").splitlines()
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def notice_function(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]["IssueNoticeFunction"]


def test_issue_notice_is_image_function(notice_function: dict[str, Any]) -> None:
    properties = notice_function["Properties"]

    assert properties["PackageType"] == "Image"
    for key in ("CodeUri", "Handler", "Runtime", "Layers"):
        assert key not in properties, key


def test_image_metadata_names_dockerfile(notice_function: dict[str, Any]) -> None:
    metadata = notice_function["Metadata"]

    assert metadata["DockerContext"] == "."
    assert ROOT / metadata["DockerContext"] / metadata["Dockerfile"] == DOCKERFILE
    assert metadata["DockerTag"]


def test_dockerfile_cmd_matches_image_command(notice_function: dict[str, Any]) -> None:
    commands = [json.loads(arguments) for arguments in dockerfile_arguments("CMD")]

    assert commands == [notice_function["Properties"]["ImageConfig"]["Command"]]


def test_dockerfile_entrypoint_is_runtime_client() -> None:
    entrypoints = [json.loads(arguments) for arguments in dockerfile_arguments("ENTRYPOINT")]

    assert entrypoints == [["python", "-m", "awslambdaric"]]
    assert any("awslambdaric==" in run for run in dockerfile_runs())


def test_dockerfile_base_is_bookworm_python() -> None:
    assert dockerfile_arguments("FROM") == ["python:3.13-slim-bookworm"]


def test_package_list_has_notice_packages() -> None:
    packages = listed_packages()

    assert {"fonts-noto-cjk", "fonts-ipamj-mincho", "libpango-1.0-0"} <= set(packages)
    assert "chromium" not in packages
    assert len(packages) == len(set(packages))


def test_dockerfile_installs_package_list() -> None:
    destination = dockerfile_copies()[PACKAGE_LIST.relative_to(ROOT).as_posix()]
    installs = [run for run in dockerfile_runs() if "apt-get install" in run]

    assert len(installs) == 1
    assert destination in installs[0]


def test_makefile_installs_package_list() -> None:
    # Ask make for the variable's value, so the check follows the Makefile's own parsing.
    result = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-s",
            "--eval",
            "print-system-packages: ; @echo $(SYSTEM_PACKAGES)",
            "print-system-packages",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    makefile_packages = result.stdout.split()

    assert sorted(set(makefile_packages) - {"chromium"}) == sorted(listed_packages())
    assert "chromium" in makefile_packages


def test_dockerfile_installs_layer_requirements() -> None:
    destination = dockerfile_copies()[LAYER_REQUIREMENTS]
    installs = [run for run in dockerfile_runs() if "pip install" in run]

    assert len(installs) == 1
    assert f"-r {destination}" in installs[0]


def test_dockerfile_copies_package_and_procedures(template: dict[str, Any]) -> None:
    copies = dockerfile_copies()
    procedures_dir = template["Globals"]["Function"]["Environment"]["Variables"]["PROCEDURES_DIR"]

    assert copies["procedures"] == procedures_dir
    assert copies["layers/madoguchi/madoguchi"] == "/opt/python/madoguchi"
    assert copies["functions/issue_notice/app.py"] == "./"


def test_dockerignore_keeps_copied_paths() -> None:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line for line in lines if line and not line.startswith("#")]
    included = [pattern[1:] for pattern in patterns if pattern.startswith("!")]

    assert patterns[0] == "*"
    for source in dockerfile_copies():
        assert any(source == path or source.startswith(path + "/") for path in included), source


def test_zip_functions_use_shared_layer(template: dict[str, Any]) -> None:
    zip_functions = {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
        and resource["Properties"].get("PackageType", "Zip") == "Zip"
    }

    assert zip_functions
    for name, properties in zip_functions.items():
        assert properties.get("Runtime") == "python3.13", name
        assert {"Ref": "SharedLayer"} in properties.get("Layers", []), name


def test_translated_image_function(local_stack: object, template: dict[str, Any]) -> None:
    # The translator reads managed policies from IAM; the local stack's moto serves them.
    cfn = translate(template, PARAMETERS, boto3.client("iam"))
    properties = cfn["Resources"]["IssueNoticeFunction"]["Properties"]

    assert properties["PackageType"] == "Image"
    assert properties["ImageConfig"] == {"Command": ["app.handler"]}
    assert properties["Architectures"] == ["arm64"]
    assert "ImageUri" in properties["Code"]
    assert "Layers" not in properties
    assert "Runtime" not in properties


def test_local_function_runs_dockerfile_handler(notice_function: dict[str, Any]) -> None:
    function = local_function("IssueNoticeFunction", "issue-notice", notice_function)

    assert function.code_dir == NOTICE_DIR
    assert function.handler == "app.handler"
    assert callable(load_handler(function))


def test_local_function_requires_image_command(notice_function: dict[str, Any]) -> None:
    resource = copy.deepcopy(notice_function)
    del resource["Properties"]["ImageConfig"]

    with pytest.raises(ValueError, match="ImageConfig.Command"):
        local_function("IssueNoticeFunction", "issue-notice", resource)
