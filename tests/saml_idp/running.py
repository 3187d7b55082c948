"""Run the test SAML IdP (``serve.py``) in a subprocess for a test."""

import datetime
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.sso_provider.running import ROOT, START_SECONDS, _free_port


@dataclass
class SamlIdp:
    base_url: str
    process: subprocess.Popen = field(repr=False)

    @property
    def entity_id(self) -> str:
        return f"{self.base_url}/metadata"

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/metadata"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def _key_and_certificate(folder: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-saml-idp")])
    today = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(today - datetime.timedelta(days=1))
        .not_valid_after(today + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = folder / "idp.key", folder / "idp.crt"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


def start_saml_idp(folder: Path, *, sp_entity_id: str, acs_url: str, users: list[dict]) -> SamlIdp:
    """Start the IdP for one SP (entity ID and ACS URL) with these users; returns once its
    metadata answers."""
    import requests

    port = _free_port()
    key_file, cert_file = _key_and_certificate(folder)
    config = {
        "port": port,
        "base_url": f"http://127.0.0.1:{port}",
        "key_file": str(key_file),
        "cert_file": str(cert_file),
        "sp_metadata_file": str(folder / "sp.xml"),
        "sp_entity_id": sp_entity_id,
        "acs_url": acs_url,
        "users": users,
    }
    config_path = folder / "saml_idp.json"
    config_path.write_text(json.dumps(config))
    log_path = folder / "saml_idp.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.saml_idp.serve", str(config_path)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    idp = SamlIdp(base_url=config["base_url"], process=process)
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            if requests.get(idp.metadata_url, timeout=5).status_code == 200:
                return idp
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            idp.stop()
            raise RuntimeError("the test SAML IdP did not start:\n" + log_path.read_text())
        time.sleep(0.2)
