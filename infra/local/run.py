"""``make run``: start the embedded local stack and print its URLs."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from infra.local.stack import LocalStack  # noqa: E402


def main() -> None:
    port = int(os.environ.get("PORT", "8000"))
    overrides = os.environ.get("WINDOW_OVERRIDES_FILE", str(ROOT / "infra/local/demo-windows.yaml"))
    stack = LocalStack(port=port, window_overrides=Path(overrides) if overrides else None).start()
    print(
        "\n".join(
            [
                "madoguchi is running on the embedded local stack:",
                f"  Procedures (pages)   {stack.url}/",
                f"  Cook employment form {stack.url}/procedures/cook-employment-notification",
                f"  Status lookup        {stack.url}/status",
                f"  Mail outbox          {stack.url}/_local/outbox",
                f"  Outbox as JSON       {stack.url}/_local/outbox.json",
                f"  API description      {stack.url}/api/openapi.json",
                f"  Local AWS (moto)     {stack.aws_endpoint}",
                "Press Ctrl+C to stop.",
            ]
        ),
        flush=True,
    )
    stopped = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    stopped.wait()
    stack.stop()


if __name__ == "__main__":
    main()
