"""Audit trail: the application's history exported as a SHA-256 hash chain, and its check.

``audit.anchors`` stores each entry's hash write-once in S3 when the entry is appended;
``audit.anchor_check`` compares an export with those anchors.
"""

from madoguchi.audit.chain import (
    GENESIS_HASH,
    ChainVerification,
    audit_export,
    build_chain,
    entry_hash,
    verify_chain,
)

__all__ = [
    "GENESIS_HASH",
    "ChainVerification",
    "audit_export",
    "build_chain",
    "entry_hash",
    "verify_chain",
]
