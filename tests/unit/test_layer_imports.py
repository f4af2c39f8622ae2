"""Tests of the Lambda layers: every function's layers install what its import graph
reaches, and the layers' requirement files agree with pyproject.toml."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from infra.layer_imports import (
    FUNCTIONS_DIR,
    DeployedFunction,
    RequirementFile,
    all_requirement_files,
    deployed_functions,
    distributions_of,
    dockerfile_requirement_files,
    imported_names,
    layer_requirement_files,
    makefile_recipes,
    missing_distributions,
    package_imports,
    read_requirements,
    walk_imports,
)
from infra.local.provision import load_template

# Distributions that must stay out of the zip layers, because IssueNoticeFunction's
# image installs them and no other function imports them.
IMAGE_ONLY = {"weasyprint", "pyhanko", "qrcode"}
# The chalice command-line tool's dependencies, which the Lambda runtime never imports.
CHALICE_TOOL_DEPENDENCIES = {"click", "inquirer", "pip", "setuptools", "wheel"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def functions(template: dict[str, Any]) -> list[DeployedFunction]:
    return deployed_functions(template)


@pytest.fixture(scope="module")
def zip_layers(template: dict[str, Any]) -> list[str]:
    return [
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::LayerVersion"
    ]


def pyproject_pins() -> dict[str, str]:
    document = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = {}
    for line in document["project"]["dependencies"]:
        requirement = Requirement(line)
        pins[canonicalize_name(requirement.name)] = str(requirement.specifier)
    return pins


# --- The import graph --------------------------------------------------------------------


def test_imported_names_include_function_bodies(tmp_path: Path) -> None:
    module = tmp_path / "sample.py"
    module.write_text(
        "import json\n"
        "from madoguchi.notices import render\n"
        "def later():\n"
        "    import weasyprint\n"
        "    from .sibling import helper\n",
        encoding="utf-8",
    )

    names = imported_names(module, "madoguchi.notices.sample")

    assert "json" in names
    assert "madoguchi.notices" in names
    assert "madoguchi.notices.render" in names
    assert "weasyprint" in names
    assert "madoguchi.notices.sibling.helper" in names


def test_walk_follows_package_modules(tmp_path: Path) -> None:
    entry = tmp_path / "app.py"
    entry.write_text("from madoguchi.notices.issuance import issue_notice\n", encoding="utf-8")

    graph = walk_imports(entry)

    assert "madoguchi.notices" in graph.modules
    assert "madoguchi.notices.render" in graph.modules
    assert "weasyprint" in graph.third_party
    chain = graph.import_chain("weasyprint")
    assert chain[:2] == ["app", "madoguchi.notices.issuance"]
    assert chain[-1] == "weasyprint"


def test_walk_ignores_standard_library(tmp_path: Path) -> None:
    entry = tmp_path / "app.py"
    entry.write_text("from __future__ import annotations\nimport json, os.path\n", encoding="utf-8")

    assert walk_imports(entry).third_party == set()


def test_every_function_folder_deployed(functions: list[DeployedFunction]) -> None:
    folders = {path.parent.name for path in FUNCTIONS_DIR.glob("*/app.py")}

    assert {function.folder for function in functions} == folders


# --- Layers against the import graph -------------------------------------------------------


def test_layers_install_reached_distributions(functions: list[DeployedFunction]) -> None:
    for function in functions:
        missing = missing_distributions(function)
        chains = {name: " -> ".join(chain) for name, chain in missing.items()}
        assert missing == {}, f"{function.logical_id} lacks {chains}"


def test_package_imports_are_required() -> None:
    # Every third-party module that the madoguchi package imports anywhere must come
    # from a requirements file. pydantic-settings, for one, is installed locally only
    # as a dependency of the development tools.
    installed = set()
    for requirement_file in all_requirement_files(load_template()):
        installed |= requirement_file.installs()

    for module, distributions in distributions_of(package_imports().third_party).items():
        assert distributions & installed, f"madoguchi imports {module} ({distributions})"


def test_every_layer_has_build_target(zip_layers: list[str]) -> None:
    recipes = makefile_recipes()

    for layer in zip_layers:
        assert f"build-{layer}" in recipes, layer
        assert layer_requirement_files(layer), layer


def test_zip_layers_exclude_image_only_packages(zip_layers: list[str]) -> None:
    for layer in zip_layers:
        for requirement_file in layer_requirement_files(layer):
            assert requirement_file.installs().isdisjoint(IMAGE_ONLY), requirement_file.path


def test_chalice_installed_without_tool_dependencies() -> None:
    shared = layer_requirement_files("SharedLayer")
    chalice_files = [f for f in shared if "chalice" in f.installs()]

    assert len(chalice_files) == 1
    assert chalice_files[0].no_deps
    installed = set().union(*(f.installs() for f in shared))
    assert installed.isdisjoint(CHALICE_TOOL_DEPENDENCIES)


def test_chalice_runtime_imports_standard_library() -> None:
    # --no-deps is safe only while the modules that functions import need nothing else.
    import chalice

    package_dir = Path(chalice.__file__).parent
    for name in ("__init__.py", "app.py"):
        imports = imported_names(package_dir / name, f"chalice.{name.removesuffix('.py')}")
        outside = {
            module.split(".")[0]
            for module in imports
            if module.split(".")[0] not in sys.stdlib_module_names
        }
        # chalice.local is imported only under TYPE_CHECKING.
        assert outside <= {"chalice"}, name


def test_layer_build_uses_manylinux_2_28() -> None:
    # Pillow 13.0.0 has no manylinux2014 wheel for arm64, only manylinux_2_27/2_28.
    for layer, commands in makefile_recipes().items():
        for command in commands:
            if "pip install" in command:
                assert "--platform manylinux_2_28_aarch64" in command, layer
                assert "--python-version 3.13" in command, layer


def test_function_layer_count_within_limit(functions: list[DeployedFunction]) -> None:
    # Lambda attaches at most five layers to a function.
    for function in functions:
        assert len(function.layers) <= 5, function.logical_id


# --- Requirement files against pyproject.toml --------------------------------------------


def test_requirement_pins_match_pyproject(template: dict[str, Any]) -> None:
    pins = pyproject_pins()

    for requirement_file in all_requirement_files(template):
        for line in read_requirements(requirement_file.path):
            requirement = Requirement(line)
            name = canonicalize_name(requirement.name)
            assert name in pins, f"{requirement_file.path}: {name} is not in pyproject.toml"
            assert str(requirement.specifier) == pins[name], f"{requirement_file.path}: {line}"


def test_pyproject_dependencies_deployed(template: dict[str, Any]) -> None:
    listed = {
        canonicalize_name(Requirement(line).name)
        for requirement_file in all_requirement_files(template)
        for line in read_requirements(requirement_file.path)
    }

    assert set(pyproject_pins()) - listed == set()


def test_dockerfile_requirement_files_found() -> None:
    files = dockerfile_requirement_files(FUNCTIONS_DIR / "issue_notice/Dockerfile")
    paths = {requirement_file.path.relative_to(ROOT).as_posix() for requirement_file in files}

    assert "layers/madoguchi/requirements.txt" in paths
    assert "functions/issue_notice/requirements.txt" in paths


def test_requirement_file_no_deps(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("# comment\njinja2==3.1.6\n", encoding="utf-8")

    assert RequirementFile(path).installs() == {"jinja2", "markupsafe"}
    assert RequirementFile(path, no_deps=True).installs() == {"jinja2"}
