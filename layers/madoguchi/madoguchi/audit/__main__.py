"""Check an exported audit trail: ``python -m madoguchi.audit verify FILE [--previous FILE]``.

Exit status 0 when the chain is intact, 1 when an entry is broken (the first one is
named), 2 when the file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from madoguchi.audit.chain import verify_chain


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m madoguchi.audit", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="recompute the hash chain of an export")
    verify.add_argument("file", type=Path, help="export from GET /api/applications/{reference}/audit")
    verify.add_argument(
        "--previous", type=Path, help="an earlier export of the same application; its entries must be unchanged"
    )
    arguments = parser.parse_args(argv)

    try:
        document = _load(arguments.file)
        previous = _load(arguments.previous) if arguments.previous else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"error: cannot read the export: {exc}", file=sys.stderr)
        return 2

    result = verify_chain(document, previous)
    if result.valid:
        print(f"valid: {result.entries} entries, head {document['head']}")
        return 0
    print(f"broken: entry {result.broken_index}: {result.reason}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
