"""Forwarded headers are believed only from the proxies named in
FORWARDED_ALLOW_IPS (uvicorn), and every client-IP reader uses the address
uvicorn settled on (REMOTE_ADDR): a client cannot rotate its IP with
X-Forwarded-For to dodge a rate limit."""

import re
from pathlib import Path

import pytest
import yaml
from allauth.account.adapter import get_adapter
from django.test import RequestFactory
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle

from core.throttling import WriteRateThrottle

ROOT = Path(__file__).resolve().parents[2]


def spoofed(ip: str):
    return RequestFactory().post("/api/x", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=ip)


@pytest.mark.parametrize("throttle_class", [AnonRateThrottle, WriteRateThrottle])
def test_api_throttles_key_on_the_peer_address_not_on_x_forwarded_for(throttle_class):
    throttle = throttle_class()

    idents = {throttle.get_ident(Request(spoofed(f"198.51.100.{n}"))) for n in range(5)}

    assert idents == {"203.0.113.7"}


def test_allauths_rate_limits_key_on_the_peer_address_not_on_x_forwarded_for():
    adapter = get_adapter()

    assert {adapter.get_client_ip(spoofed(f"198.51.100.{n}")) for n in range(5)} == {"203.0.113.7"}


def test_uvicorn_trusts_no_forwarded_headers_by_default_in_the_image_compose_and_procfile():
    dockerfile = (ROOT / "Dockerfile").read_text()
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    web_command = " ".join(compose["services"]["web"]["command"])
    procfile = (ROOT / "Procfile").read_text()

    for command in (dockerfile, web_command, procfile):
        assert not re.search(r"forwarded-allow-ips\s+['\"]?\*", command), command
    assert re.search(r"FORWARDED_ALLOW_IPS=127\.0\.0\.1", dockerfile)
    assert compose["x-app"]["environment"]["FORWARDED_ALLOW_IPS"] == "${FORWARDED_ALLOW_IPS:-127.0.0.1}"


def test_django_does_not_read_x_forwarded_proto_itself_in_production(tmp_path):
    from tests.config.test_settings import long_secret, run_in_production

    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(getattr(settings, 'SECURE_PROXY_SSL_HEADER', None))"
    result = run_in_production(
        tmp_path, ["-c", code], SECRET_KEY=long_secret(), ALLOWED_HOSTS="tandem.example.com"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "None"
