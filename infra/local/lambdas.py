"""Run the project's Lambda handlers in-process whenever moto invokes a function.

moto cannot run Lambda code without Docker, and every moto-driven invocation
(Step Functions tasks, S3 notifications, stream mappings) goes through
``LambdaFunction._invoke_lambda``, which must return ``(payload, errored, logs)``.
Replacing that one method makes the local workflow call the real handlers.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from infra.local.provision import LocalFunction

logger = logging.getLogger("madoguchi.local.lambda")


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that Powertools reads."""

    function_name: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    invoked_function_arn: str = ""
    aws_request_id: str = ""
    log_group_name: str = ""
    log_stream_name: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


_locks_guard = threading.Lock()
_module_locks: dict[str, threading.RLock] = {}


def load_handler(function: LocalFunction) -> Callable[[dict, Any], Any]:
    """Import ``<CodeUri>/<module>.py`` under a unique name and return its handler.

    Moto may invoke the same function from several threads at once (two S3 events
    for two uploads), so loading is serialised and a module enters ``sys.modules``
    only after it has finished executing.
    """
    module_name, _, attribute = function.handler.rpartition(".")
    unique_name = f"madoguchi_function_{function.logical_id}"
    # One lock per module: loading one function never waits for another, so an
    # import that makes AWS calls cannot deadlock with another function's load.
    with _locks_guard:
        module_lock = _module_locks.setdefault(unique_name, threading.RLock())
    with module_lock:
        module = sys.modules.get(unique_name)
        if module is None:
            spec = importlib.util.spec_from_file_location(
                unique_name, function.code_dir / f"{module_name}.py"
            )
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            sys.modules[unique_name] = module
    return getattr(module, attribute)


def install(functions: dict[str, LocalFunction], region: str, account_id: str) -> None:
    """Replace moto's Lambda runner with one that calls ``functions`` by physical name."""
    from moto.awslambda.models import LambdaFunction

    def invoke_in_process(self: Any, event: str | None = None) -> tuple[str, bool, str]:
        function = functions.get(self.function_name)
        if function is None:
            return json.dumps({"errorMessage": f"no local handler for {self.function_name}"}), True, ""
        payload = json.loads(event) if isinstance(event, str | bytes) and event else (event or {})
        context = LambdaContext(
            function_name=self.function_name,
            invoked_function_arn=f"arn:aws:lambda:{region}:{account_id}:function:{self.function_name}",
            aws_request_id=str(uuid.uuid4()),
        )
        try:
            result = load_handler(function)(payload, context)
        except Exception as exc:
            # Step Functions matches Retry and Catch on errorType, the exception's class name.
            logger.error(
                "function %s failed: %s", function.logical_id, type(exc).__name__, exc_info=exc
            )
            body = {
                "errorType": type(exc).__name__,
                "errorMessage": str(exc),
                "stackTrace": traceback.format_exception(exc),
            }
            return json.dumps(body), True, ""
        return json.dumps(result, ensure_ascii=False, default=str), False, ""

    LambdaFunction._invoke_lambda = invoke_in_process
