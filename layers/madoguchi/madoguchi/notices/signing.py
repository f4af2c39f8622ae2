"""Optional PAdES signature of notices with pyHanko.

The key and certificate come from a Secrets Manager secret named by
NOTICE_SIGNING_SECRET_ARN, whose value is JSON
``{"key_pem": "...", "certificate_pem": "...", "chain_pem": "..."}`` (``chain_pem``
optional). Without that setting notices are not signed, and the verification page
still compares the SHA-256 of the PDF with the stored one.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from madoguchi import aws


class SigningKeyInvalid(Exception):
    """The signing secret is missing a field or its key or certificate cannot be read."""


@dataclass(frozen=True)
class SigningMaterial:
    key_pem: bytes
    certificate_pem: bytes
    chain_pem: bytes


def load_signing_material(secret_arn: str) -> SigningMaterial:
    """Read the key and certificate from Secrets Manager.

    Raises:
        SigningKeyInvalid: the secret is not JSON or lacks ``key_pem``/``certificate_pem``.
    """
    value = aws.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
    try:
        document = json.loads(value)
        return SigningMaterial(
            key_pem=document["key_pem"].encode("ascii"),
            certificate_pem=document["certificate_pem"].encode("ascii"),
            chain_pem=(document.get("chain_pem") or "").encode("ascii"),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SigningKeyInvalid("the notice signing secret must be JSON with key_pem and certificate_pem") from exc


@cache
def _signer(secret_arn: str) -> Any:
    from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    material = load_signing_material(secret_arn)
    try:
        key = load_private_key_from_pemder_data(material.key_pem, passphrase=None)
        certificates = list(load_certs_from_pemder_data(material.certificate_pem))
        chain = list(load_certs_from_pemder_data(material.chain_pem)) if material.chain_pem else []
    except (ValueError, TypeError) as exc:
        raise SigningKeyInvalid("the notice signing key or certificate cannot be read") from exc
    if not certificates:
        raise SigningKeyInvalid("certificate_pem contains no certificate")
    return signers.SimpleSigner(
        signing_cert=certificates[0],
        signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs([*certificates, *chain]),
    )


def sign_pdf(pdf: bytes, secret_arn: str, reason: str, location: str) -> bytes:
    """Return ``pdf`` with a PAdES baseline B-B signature added as an incremental update.

    Raises:
        SigningKeyInvalid: the configured key cannot be used.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name="NoticeSignature",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    signer = _signer(secret_arn)
    output = _outside_event_loop(lambda: signers.sign_pdf(writer, metadata, signer=signer))
    return output.getvalue()


def _outside_event_loop(call: Callable[[], Any]) -> Any:
    """Run ``call`` in a worker thread when this thread already runs an event loop.

    pyhanko's synchronous API calls ``asyncio.run``, which fails inside a running loop
    (an asynchronous host, or Playwright's sync API in the same test process).
    """
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(call).result()
