"""A self-signed test certificate that signs notices in the local stack.

It lives in the local Secrets Manager in the shape NOTICE_SIGNING_SECRET_ARN expects,
so the signing code path is the one that runs in AWS. Nothing trusts it outside the
tests, which validate signatures against it explicitly.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta


def generate_test_certificate(common_name: str = "madoguchi local notice signing (test)") -> tuple[str, str]:
    """Return (private key PEM, certificate PEM) of a new self-signed P-256 certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "madoguchi (local test)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def store_test_signing_key(region: str) -> tuple[str, str]:
    """Create the secret in the local Secrets Manager; return (secret ARN, certificate PEM)."""
    import boto3

    key_pem, certificate_pem = generate_test_certificate()
    response = boto3.client("secretsmanager", region_name=region).create_secret(
        Name=f"madoguchi-local-notice-signing-{secrets.token_hex(4)}",
        SecretString=json.dumps({"key_pem": key_pem, "certificate_pem": certificate_pem}),
    )
    return response["ARN"], certificate_pem
