"""``make run``: start the embedded local stack and print its URLs."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from infra.local.stack import LocalStack


def main() -> None:
    port = int(os.environ.get("PORT", "8000"))
    overrides = os.environ.get("WINDOW_OVERRIDES_FILE", str(ROOT / "infra/local/demo-windows.yaml"))
    stack = LocalStack(port=port, window_overrides=Path(overrides) if overrides else None).start()
    links = [
        ("Procedures (pages)", f"{stack.url}/"),
        ("Cook employment form", f"{stack.url}/procedures/cook-employment-notification"),
        ("Cook licence form", f"{stack.url}/procedures/cook-licence"),
        ("Notice verification", f"{stack.url}/notices/verify"),
        ("Staff queue", f"{stack.url}/staff"),
        ("Status lookup", f"{stack.url}/status"),
        ("Dashboard", f"{stack.url}/dashboard"),
        ("Open data", f"{stack.url}/api/opendata"),
        ("Mail outbox", f"{stack.url}/_local/outbox"),
        ("Outbox as JSON", f"{stack.url}/_local/outbox.json"),
        ("API description", f"{stack.url}/api/openapi.json"),
        ("Local AWS (moto)", stack.aws_endpoint),
        ("Local OpenID provider", stack.identity_provider.provider.issuer),
        ("Staff API token", stack.staff_api_token),
        ("Audit anchor bucket", f"s3://{stack.resources['AuditAnchorsBucket']}"),
    ]
    lines = ["madoguchi is running on the embedded local stack:"]
    lines += [f"  {label:<22} {value}" for label, value in links]
    lines.append("Check an audit export: see README.md, 'Approval route, return for correction and the audit trail'.")
    lines.append("Press Ctrl+C to stop.")
    print("\n".join(lines), flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    stopped.wait()
    stack.stop()


if __name__ == "__main__":
    main()
