"""Write the site's OpenAPI document from every Chalice function in template.yaml.

Run ``python infra/generate_openapi.py`` after changing a route; a unit test fails
while the committed file differs from what this script writes.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUTPUT = ROOT / "layers/madoguchi/madoguchi/web/openapi.json"


def chalice_apps() -> dict[str, Any]:
    """Load the Chalice app of every function that has Api events."""
    from infra.local.lambdas import load_handler
    from infra.local.provision import LocalFunction, load_template

    apps = {}
    for logical_id, resource in load_template()["Resources"].items():
        properties = resource.get("Properties", {})
        events = properties.get("Events", {}).values()
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        if not any(event.get("Type") == "Api" for event in events):
            continue
        function = LocalFunction(
            logical_id, logical_id, ROOT / properties["CodeUri"], properties["Handler"]
        )
        apps[logical_id] = load_handler(function)
    return apps


def render_document() -> str:
    from madoguchi.procedures import load_catalog
    from madoguchi.web.openapi import build_site_openapi

    document = build_site_openapi(chalice_apps(), load_catalog())
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False) + "\n"


def main() -> None:
    os.environ.setdefault("AWS_DEFAULT_REGION", "ap-northeast-1")
    OUTPUT.write_text(render_document(), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
