"""Certificates for test origins, issued by a throwaway CA (not Hearthguard's)."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from mitmproxy import certs


def origin_certificate(directory: Path, *names: str) -> Path:
    """A PEM file (certificate + key) valid for ``names``, for a loopback TLS origin."""
    store = certs.CertStore.from_store(str(directory), "origin-ca", 2048)
    entry = store.get_cert(names[0], [x509.DNSName(n) for n in names])
    key = entry.privatekey.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    pem = directory / "origin.pem"
    pem.write_bytes(entry.cert.to_pem() + key)
    return pem
