"""Check an exported audit trail against its hash chain and its write-once anchors.

Usage: ``python -m madoguchi.audit verify FILE [--previous FILE]
[--anchors s3://BUCKET | --anchors-dir DIR]``.

Exit status 0 when the chain is intact (and matches its anchors when given), 1 when
an entry is broken (the first one is named), 2 when the file or the anchors cannot
be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from madoguchi.audit.chain import verify_chain


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _bucket_name(url: str) -> str:
    name = url.removeprefix("s3://").rstrip("/")
    if not url.startswith("s3://") or not name or "/" in name:
        raise argparse.ArgumentTypeError(f"expected s3://BUCKET without a key prefix, got {url!r}")
    return name


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m madoguchi.audit", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="recompute the hash chain of an export")
    verify.add_argument("file", type=Path, help="export from GET /api/applications/{reference}/audit")
    verify.add_argument(
        "--previous", type=Path, help="an earlier export of the same application; its entries must be unchanged"
    )
    anchors = verify.add_mutually_exclusive_group()
    anchors.add_argument(
        "--anchors",
        type=_bucket_name,
        metavar="s3://BUCKET",
        help="anchor bucket (AUDIT_ANCHORS_BUCKET): every entry must match the first version of its "
        "anchor under anchors/<reference>/. Set AWS_ENDPOINT_URL to read a local stack's bucket",
    )
    anchors.add_argument(
        "--anchors-dir",
        type=Path,
        metavar="DIR",
        help="downloaded copy of s3://BUCKET/anchors/<reference>/ (or of the whole bucket); "
        "a plain copy contains current versions only, so overwritten anchors go unnoticed",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)

    try:
        document = _load(arguments.file)
        previous = _load(arguments.previous) if arguments.previous else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"error: cannot read the export: {exc}", file=sys.stderr)
        return 2

    result = verify_chain(document, previous)
    if not result.valid:
        where = "" if result.broken_index is None else f"entry {result.broken_index}: "
        print(f"broken: {where}{result.reason}")
        return 1
    if arguments.anchors is None and arguments.anchors_dir is None:
        print(f"valid: {result.entries} entries, head {document['head']}")
        return 0
    return _verify_anchors(document, arguments.anchors, arguments.anchors_dir)


def _verify_anchors(document: dict, bucket: str | None, directory: Path | None) -> int:
    # Imported here so that a plain chain check needs no AWS client.
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    from madoguchi.audit.anchor_check import (
        check_anchors,
        read_bucket_anchors,
        read_directory_anchors,
    )

    reference_number = str(document.get("reference_number", ""))
    try:
        if bucket is not None:
            stored = read_bucket_anchors(bucket, reference_number)
        else:
            stored = read_directory_anchors(directory, reference_number)
    except NoCredentialsError:
        print(
            "error: cannot read the anchors: no AWS credentials. Set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (any values for the local stack, with AWS_ENDPOINT_URL set to "
            "the local AWS address that make run prints), or use --anchors-dir with a downloaded copy.",
            file=sys.stderr,
        )
        return 2
    except (OSError, BotoCoreError, ClientError) as exc:
        print(f"error: cannot read the anchors: {exc}", file=sys.stderr)
        return 2

    check = check_anchors(document, stored)
    summary = (
        f"anchors: {len(check.matched)} matched, {len(check.mismatched)} mismatched, "
        f"{len(check.not_anchored)} not anchored, {len(check.missing_from_record)} missing from the record, "
        f"{len(check.overwritten)} overwritten"
    )
    problem = check.first_problem()
    if problem is not None:
        print(f"broken: entry {problem[0]}: {problem[1]}")
        print(summary)
        return 1
    print(f"valid: {len(check.matched)} entries, head {document['head']}, every entry matches its anchor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
