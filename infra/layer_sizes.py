"""Build every layer of template.yaml for Lambda (python3.13, arm64) and print each
zip function's unzipped size: its code plus its layers.

Lambda rejects a function whose code and layers exceed 262,144,000 bytes (250 MiB)
when extracted, so sizes are in MiB. Each layer is built by its Makefile target
(``make build-<LayerName>``), which installs its wheels from the package index, about
310 MiB for all layers. Image functions have a 10 GB limit and are listed apart.

Usage: ``python infra/layer_sizes.py [--build-dir DIR]`` or ``make layer-sizes``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infra.layer_imports import deployed_functions
from infra.local.provision import load_template

MIB = 1024 * 1024
# Lambda's limit on a function's deployment package and layers when extracted.
UNZIPPED_LIMIT_BYTES = 262_144_000
# The project's own aim, which leaves room for dependency upgrades.
AIM_BYTES = 220 * MIB
_DIST_INFO = re.compile(r"^(?P<name>.+?)-(?P<version>[^-]+)\.dist-info$")


def tree_size(path: Path, skip_bytecode: bool = False) -> int:
    """Return the total size in bytes of the files under ``path``.

    ``skip_bytecode`` leaves ``__pycache__`` folders out: a function's folder has them
    only from local test runs.
    """
    return sum(
        file.stat().st_size
        for file in path.rglob("*")
        if file.is_file() and not (skip_bytecode and "__pycache__" in file.parts)
    )


def build_layer(layer: str, artifacts_dir: Path) -> None:
    """Run ``make build-<layer>`` into ``artifacts_dir`` with this interpreter's pip.

    Raises:
        subprocess.CalledProcessError: the build failed, and pip's output above names why.
    """
    if artifacts_dir.exists():
        shutil.rmtree(artifacts_dir)
    artifacts_dir.mkdir(parents=True)
    subprocess.run(
        ["make", "--no-print-directory", f"build-{layer}",
         f"ARTIFACTS_DIR={artifacts_dir}", f"PYTHON={sys.executable}"],
        cwd=ROOT,
        check=True,
    )


def installed_distributions(artifacts_dir: Path) -> dict[str, str]:
    """Return the distributions that a built layer contains, as name → version."""
    found = {}
    for entry in (artifacts_dir / "python").glob("*.dist-info"):
        match = _DIST_INFO.match(entry.name)
        if match:
            found[match["name"].lower().replace("_", "-")] = match["version"]
    return found


def layer_names(template: dict[str, Any]) -> list[str]:
    return [
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::LayerVersion"
    ]


def print_overlaps(distributions: dict[str, dict[str, str]]) -> bool:
    """Print the distributions that more than one layer installs.

    Returns False when their versions differ, because the layer extracted last would
    replace the other's files.
    """
    layers_by_distribution: dict[str, dict[str, str]] = defaultdict(dict)
    for layer, installed in distributions.items():
        for name, version in installed.items():
            layers_by_distribution[name][layer] = version
    consistent = True
    for name, versions in sorted(layers_by_distribution.items()):
        if len(versions) < 2:
            continue
        same = len(set(versions.values())) == 1
        consistent &= same
        listing = ", ".join(f"{layer} {version}" for layer, version in sorted(versions.items()))
        print(f"  {name}: {listing}{'' if same else '  <- DIFFERENT VERSIONS'}")
    return consistent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--build-dir",
        type=Path,
        help="folder for the built layers, kept after the run (default: a temporary folder)",
    )
    arguments = parser.parse_args(argv)

    template = load_template()
    with tempfile.TemporaryDirectory(prefix="madoguchi-layers-") as temporary:
        build_dir = (arguments.build_dir or Path(temporary)).resolve()
        layer_sizes: dict[str, int] = {}
        distributions: dict[str, dict[str, str]] = {}
        for layer in layer_names(template):
            print(f"building {layer} into {build_dir / layer}", file=sys.stderr, flush=True)
            build_layer(layer, build_dir / layer)
            layer_sizes[layer] = tree_size(build_dir / layer)
            distributions[layer] = installed_distributions(build_dir / layer)

    print("| layer | unzipped MiB |")
    print("|---|---:|")
    for layer, size in layer_sizes.items():
        print(f"| {layer} | {size / MIB:.1f} |")
    print()
    print("| function | layers | code MiB | total MiB | headroom to 250 MiB |")
    print("|---|---|---:|---:|---:|")
    status = 0
    images = []
    for function in deployed_functions(template):
        if not function.layers:
            images.append(function.logical_id)
            continue
        code = tree_size(ROOT / "functions" / function.folder, skip_bytecode=True)
        total = code + sum(layer_sizes[layer] for layer in function.layers)
        print(
            f"| {function.logical_id} | {', '.join(function.layers)} | {code / MIB:.2f} "
            f"| {total / MIB:.1f} | {(UNZIPPED_LIMIT_BYTES - total) / MIB:.1f} |"
        )
        if total > AIM_BYTES:
            status = 1
    print()
    if images:
        print(f"Image functions (10 GB limit, not measured here): {', '.join(images)}")
    print("Distributions in more than one layer:")
    if not print_overlaps(distributions):
        status = 1
    if status:
        print(f"FAILED: a function exceeds {AIM_BYTES // MIB} MiB or layers disagree on a version")
    return status


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
