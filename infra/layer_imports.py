"""Derive which third-party distributions each Lambda function imports, and which the
layers in template.yaml install.

The import graph starts at ``functions/<name>/app.py`` and follows every ``madoguchi``
module it reaches. Every import statement counts, including those inside function
bodies and under ``if TYPE_CHECKING:``, so the graph over-approximates what a
function can import at run time, which is the safe direction for packaging. Imports
built from strings (``importlib.import_module``) are not seen, and the standard
library's names are those of the Python that runs the walk, not of python3.13.

A layer's contents come from its ``build-<LayerName>`` target in the Makefile: the
requirement files that its ``pip install`` commands read, followed through the
dependency metadata of the development virtual environment, which installs the same
pins. An image function's contents come from the requirement files that its
Dockerfile copies.

Run ``python infra/layer_imports.py [--chains]`` to print each function's layers and
distributions. tests/unit/test_layer_imports.py checks them.
"""

from __future__ import annotations

import argparse
import ast
import re
import shlex
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS_DIR = ROOT / "functions"
PACKAGE_ROOT = ROOT / "layers/madoguchi"
PACKAGE_NAME = "madoguchi"
MAKEFILE = ROOT / "Makefile"
# Name that import chains give to a function's app.py.
ENTRY_MODULE = "app"

# The Lambda runtime that every layer is built for (template.yaml: python3.13, arm64).
TARGET_ENVIRONMENT = {
    "python_version": "3.13",
    "python_full_version": "3.13.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "aarch64",
    "os_name": "posix",
    "extra": "",
}


# --- Import graph ----------------------------------------------------------------------


@dataclass
class ImportGraph:
    """Modules that an entry point reaches: project modules and third-party top-level names."""

    modules: set[str] = field(default_factory=set)
    third_party: set[str] = field(default_factory=set)
    # Module or third-party top-level name → the module that first imported it.
    imported_by: dict[str, str] = field(default_factory=dict)

    def import_chain(self, name: str) -> list[str]:
        """Return the modules from the entry point to ``name``, in import order."""
        chain = [name]
        while chain[-1] in self.imported_by:
            chain.append(self.imported_by[chain[-1]])
        return chain[::-1]


def package_module_path(name: str) -> Path | None:
    """Return the file of the ``madoguchi`` module ``name``, or None when there is none."""
    base = PACKAGE_ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_names(path: Path, module: str) -> set[str]:
    """Return the absolute names of every import statement in a file.

    ``from a import b`` yields ``a`` and ``a.b``, because ``b`` may be a submodule.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute_base(node, module, is_package)
            if base == "__future__":
                continue
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


def _absolute_base(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    parts = module.split(".")
    # A module's relative imports start from its package, and a package's from the package itself.
    anchor = parts if is_package else parts[:-1]
    anchor = anchor[: len(anchor) - (node.level - 1)]
    return ".".join([*anchor, node.module] if node.module else anchor)


def _prefixes(name: str) -> Iterator[str]:
    parts = name.split(".")
    for end in range(1, len(parts) + 1):
        yield ".".join(parts[:end])


def walk_imports(entry: Path) -> ImportGraph:
    """Follow the imports of ``entry`` through every ``madoguchi`` module it reaches.

    Importing ``a.b.c`` runs the ``__init__`` of ``a`` and ``a.b`` too, so those are
    followed as well. Modules beside ``entry`` (a function's own helpers) are followed.
    """
    graph = ImportGraph()
    local_dir = entry.parent
    pending: deque[tuple[str, Path]] = deque([(ENTRY_MODULE, entry)])
    seen_files: set[Path] = set()
    while pending:
        module, path = pending.popleft()
        if path in seen_files:
            continue
        seen_files.add(path)
        for name in sorted(imported_names(path, module)):
            top = name.split(".")[0]
            if top == PACKAGE_NAME:
                for prefix in _prefixes(name):
                    found = package_module_path(prefix)
                    if found is not None and prefix not in graph.modules:
                        graph.modules.add(prefix)
                        graph.imported_by[prefix] = module
                        pending.append((prefix, found))
            elif (local_dir / f"{top}.py").is_file():
                pending.append((top, local_dir / f"{top}.py"))
            elif top and top not in sys.stdlib_module_names:
                graph.third_party.add(top)
                graph.imported_by.setdefault(top, module)
    return graph


def package_imports() -> ImportGraph:
    """Return the third-party imports of every module in the ``madoguchi`` package."""
    graph = ImportGraph()
    package_dir = PACKAGE_ROOT / PACKAGE_NAME
    for path in sorted(package_dir.rglob("*.py")):
        relative = path.relative_to(PACKAGE_ROOT).with_suffix("")
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        module = ".".join(parts)
        graph.modules.add(module)
        for name in imported_names(path, module):
            top = name.split(".")[0]
            if top and top != PACKAGE_NAME and top not in sys.stdlib_module_names:
                graph.third_party.add(top)
                graph.imported_by.setdefault(top, module)
    return graph


# --- Distributions ---------------------------------------------------------------------


class UnknownModule(LookupError):
    """No installed distribution provides a top-level module."""


def distributions_of(top_level_names: Iterable[str]) -> dict[str, set[str]]:
    """Map each third-party top-level module to the canonical names of the distributions
    that provide it in the current environment.

    Raises:
        UnknownModule: no installed distribution provides a module, whose name is the
            message. List its distribution in pyproject.toml and a layer's requirements
            file, then reinstall the development environment.
    """
    providers = metadata.packages_distributions()
    result = {}
    for name in sorted(top_level_names):
        if name not in providers:
            raise UnknownModule(name)
        result[name] = {canonicalize_name(dist) for dist in providers[name]}
    return result


@cache
def dependency_closure(requirement_text: str, follow_dependencies: bool = True) -> frozenset[str]:
    """Return the canonical names of a requirement and, unless pip runs with
    ``--no-deps``, of everything it depends on for the target runtime.

    The dependency lists come from the installed distributions' metadata.
    """
    requirement = Requirement(requirement_text)
    closure = {canonicalize_name(requirement.name)}
    if not follow_dependencies:
        return frozenset(closure)
    pending = [(requirement.name, frozenset(requirement.extras))]
    seen: set[tuple[str, frozenset[str]]] = set()
    while pending:
        name, extras = pending.pop()
        if (canonicalize_name(name), extras) in seen:
            continue
        seen.add((canonicalize_name(name), extras))
        for line in metadata.requires(name) or []:
            dependency = Requirement(line)
            if dependency.marker is not None and not _marker_applies(dependency.marker, extras):
                continue
            closure.add(canonicalize_name(dependency.name))
            pending.append((dependency.name, frozenset(dependency.extras)))
    return frozenset(closure)


def _marker_applies(marker: Marker, extras: frozenset[str]) -> bool:
    return any(
        marker.evaluate({**TARGET_ENVIRONMENT, "extra": extra}) for extra in {"", *extras}
    )


def read_requirements(path: Path) -> list[str]:
    """Return the requirement lines of a requirements file, without comments."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text("utf-8").splitlines())
    return [line for line in lines if line]


@dataclass(frozen=True)
class RequirementFile:
    path: Path
    no_deps: bool = False

    def installs(self) -> frozenset[str]:
        """Return the canonical names of every distribution that pip installs from this file."""
        names: set[str] = set()
        for line in read_requirements(self.path):
            names |= dependency_closure(line, follow_dependencies=not self.no_deps)
        return frozenset(names)


# --- Layers and images -----------------------------------------------------------------


def makefile_recipes(path: Path = MAKEFILE) -> dict[str, list[str]]:
    """Return each Makefile target's recipe commands, with continuation lines joined.

    Variables defined with ``NAME :=`` or ``NAME =`` are expanded one level deep
    (``$(NAME)`` in a recipe), which covers the shared pip options of the layer targets.
    """
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    variables = dict(re.findall(r"^([A-Z_]+)\s*:?=\s*(.*)$", text, flags=re.MULTILINE))
    recipes: dict[str, list[str]] = {}
    target = None
    for line in text.splitlines():
        if line.startswith("\t") and target is not None:
            command = re.sub(
                r"\$\(([A-Z_]+)\)", lambda m: variables.get(m.group(1), m.group(0)), line.strip()
            )
            recipes[target].append(command)
            continue
        match = re.match(r"^([A-Za-z0-9_.-]+):(?!=)", line)
        target = match.group(1) if match else None
        if target is not None:
            recipes[target] = []
    return recipes


def pip_requirement_arguments(commands: Iterable[str]) -> list[tuple[str, bool]]:
    """Return the ``-r`` arguments of every ``pip install`` command, each with whether
    that command passes ``--no-deps``."""
    arguments = []
    for command in commands:
        if "pip install" not in command:
            continue
        words = shlex.split(command)
        no_deps = "--no-deps" in words
        arguments.extend(
            (words[i + 1], no_deps)
            for i, word in enumerate(words[:-1])
            if word in ("-r", "--requirement")
        )
    return arguments


def layer_requirement_files(layer: str) -> list[RequirementFile]:
    """Return the requirement files that the Makefile target ``build-<layer>`` installs."""
    commands = makefile_recipes().get(f"build-{layer}", [])
    return [RequirementFile(ROOT / name, no_deps) for name, no_deps in pip_requirement_arguments(commands)]


def dockerfile_requirement_files(dockerfile: Path) -> list[RequirementFile]:
    """Return the requirement files that a Dockerfile copies and installs.

    A file counts when a ``COPY`` instruction names it as its source and a ``pip
    install`` reads its destination with ``-r``.
    """
    text = dockerfile.read_text(encoding="utf-8").replace("\\\n", " ")
    sources_by_destination: dict[str, str] = {}
    runs: list[str] = []
    for line in text.splitlines():
        keyword, _, arguments = line.strip().partition(" ")
        if keyword.upper() == "COPY":
            *sources, destination = shlex.split(arguments)
            for source in sources:
                target = destination + Path(source).name if destination.endswith("/") else destination
                sources_by_destination[target] = source
        elif keyword.upper() == "RUN":
            runs.append(arguments)
    return [
        RequirementFile(ROOT / sources_by_destination[name], no_deps)
        for name, no_deps in pip_requirement_arguments(runs)
        if name in sources_by_destination
    ]


@dataclass(frozen=True)
class DeployedFunction:
    """A function of template.yaml: its code folder and what its layers or image install."""

    logical_id: str
    folder: str
    layers: tuple[str, ...]
    requirement_files: tuple[RequirementFile, ...]

    def installs(self) -> frozenset[str]:
        names: set[str] = set()
        for requirement_file in self.requirement_files:
            names |= requirement_file.installs()
        return frozenset(names)


def _layer_names(value: Any) -> list[str]:
    """Return the logical ids of a ``Layers`` list of ``!Ref`` entries."""
    return [item["Ref"] for item in value or [] if isinstance(item, dict) and "Ref" in item]


def deployed_functions(template: dict[str, Any]) -> list[DeployedFunction]:
    """Return every function of the template with its folder and requirement files."""
    global_layers = _layer_names(template.get("Globals", {}).get("Function", {}).get("Layers"))
    functions = []
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        properties = resource["Properties"]
        if properties.get("PackageType") == "Image":
            dockerfile = ROOT / resource["Metadata"]["Dockerfile"]
            folder = dockerfile.parent.name
            layers: list[str] = []
            files = dockerfile_requirement_files(dockerfile)
        else:
            folder = Path(properties["CodeUri"]).name
            layers = [*global_layers, *_layer_names(properties.get("Layers"))]
            files = [f for layer in layers for f in layer_requirement_files(layer)]
        functions.append(DeployedFunction(logical_id, folder, tuple(layers), tuple(files)))
    return functions


def all_requirement_files(template: dict[str, Any]) -> list[RequirementFile]:
    """Return the requirement files of every layer and image of the template, once each."""
    files: dict[Path, RequirementFile] = {}
    for function in deployed_functions(template):
        for requirement_file in function.requirement_files:
            files.setdefault(requirement_file.path, requirement_file)
    return list(files.values())


def missing_distributions(function: DeployedFunction) -> dict[str, list[str]]:
    """Return each distribution that the function's import graph reaches and its layers
    or image do not install, with the import chain that reaches it."""
    graph = walk_imports(FUNCTIONS_DIR / function.folder / "app.py")
    installed = function.installs()
    missing = {}
    for module, distributions in distributions_of(graph.third_party).items():
        if not distributions & installed:
            missing[", ".join(sorted(distributions))] = graph.import_chain(module)
    return missing


def main(argv: list[str] | None = None) -> int:
    """Print each function's layers and imported distributions; return 1 when a layer is missing."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--chains", action="store_true", help="print the import chain that reaches each distribution"
    )
    arguments = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from infra.local.provision import load_template

    status = 0
    for function in deployed_functions(load_template()):
        graph = walk_imports(FUNCTIONS_DIR / function.folder / "app.py")
        by_module = distributions_of(graph.third_party)
        if function.layers:
            source = "layers " + ", ".join(function.layers)
        else:
            source = "image " + ", ".join(str(f.path.relative_to(ROOT)) for f in function.requirement_files)
        print(f"{function.logical_id} ({source})")
        for module, distributions in sorted(by_module.items(), key=lambda item: sorted(item[1])):
            line = f"  {', '.join(sorted(distributions))}"
            if arguments.chains:
                line += f"  <- {' -> '.join(graph.import_chain(module))}"
            print(line)
        for distribution, chain in missing_distributions(function).items():
            print(f"  MISSING {distribution}: {' -> '.join(chain)}")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
