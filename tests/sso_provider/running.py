"""Run the test identity provider (``serve.py``) in a subprocess for a test."""

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60
CLIENT_ID = "tandem-client"
CLIENT_SECRET = "tandem-client-secret-0123456789"


@dataclass
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    process: subprocess.Popen = field(repr=False)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _rsa_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def start_provider(tmp_path: Path, *, redirect_uri: str, users: list[dict]) -> Provider:
    """Start the provider with these users and one client for ``redirect_uri``; returns once
    its discovery document answers."""
    port = _free_port()
    config = {
        "port": port,
        "database": str(tmp_path / "idp.sqlite3"),
        "rsa_key": _rsa_key_pem(),
        "client": {"id": CLIENT_ID, "secret": CLIENT_SECRET, "redirect_uri": redirect_uri},
        "users": users,
    }
    config_path = tmp_path / "idp.json"
    config_path.write_text(json.dumps(config))
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_"))
    }
    log_path = tmp_path / "idp.log"
    with open(log_path, "w") as log:
        # output goes to a file: a pipe nobody reads would fill up and stall the server
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.sso_provider.serve", str(config_path)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    deadline = time.monotonic() + START_SECONDS
    issuer = None
    while issuer is None:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the test identity provider did not start:\n" + log_path.read_text())
        for line in log_path.read_text().splitlines():
            if line.startswith("READY "):
                issuer = line.split(" ", 1)[1].strip()
        if issuer is None:
            time.sleep(0.2)
    provider = Provider(issuer=issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, process=process)
    _wait_until_serving(provider, deadline)
    return provider


def _wait_until_serving(provider: Provider, deadline: float) -> None:
    import requests

    while True:
        try:
            if (
                requests.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=5).status_code
                == 200
            ):
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline or provider.process.poll() is not None:
            provider.stop()
            raise RuntimeError("the test identity provider did not answer its discovery URL")
        time.sleep(0.2)
