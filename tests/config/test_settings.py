"""Production settings refuse to start half-configured and pass ``check --deploy``;
every response carries the Content-Security-Policy."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_in_production(tmp_path, args, **env_overrides):
    """Run Python in a clean environment (only PATH/HOME plus what is given)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "mentoring.config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
        "CELERY_DATA_DIR": str(tmp_path / "celery"),
    }
    env.update({key: value for key, value in env_overrides.items() if value is not None})
    for key in [key for key, value in env_overrides.items() if value is None]:
        env.pop(key, None)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def long_secret() -> str:
    return secrets.token_urlsafe(60)


def test_production_passes_check_deploy_with_no_warnings(tmp_path):
    result = run_in_production(
        tmp_path,
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        SECRET_KEY=long_secret(),
        ALLOWED_HOSTS="tandem.example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_in_production(tmp_path, ["manage.py", "check"], ALLOWED_HOSTS="tandem.example.com")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_ENV=production needs SECRET_KEY" in result.stderr


def test_production_refuses_a_short_secret_key(tmp_path):
    result = run_in_production(
        tmp_path, ["manage.py", "check"], SECRET_KEY="too-short", ALLOWED_HOSTS="tandem.example.com"
    )

    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(tmp_path):
    result = run_in_production(tmp_path, ["manage.py", "check"], SECRET_KEY=long_secret())

    assert result.returncode != 0
    assert "DJANGO_ENV=production needs ALLOWED_HOSTS" in result.stderr


def test_unknown_django_env_is_refused(tmp_path):
    result = run_in_production(tmp_path, ["manage.py", "check"], DJANGO_ENV="staging")

    assert result.returncode != 0
    assert "DJANGO_ENV must be development, test or production" in result.stderr


PRODUCTION_PROBE = """
import json
import django
django.setup()
from django.test import Client
client = Client()
health = client.get("/healthz", HTTP_HOST="tandem.example.com", secure=True)
plain = client.get("/", HTTP_HOST="tandem.example.com")
plain_health = client.get("/healthz", HTTP_HOST="tandem.example.com")
foreign = client.get("/healthz", HTTP_HOST="evil.example.net", secure=True)
from django.conf import settings
print(json.dumps({
    "health_status": health.status_code,
    "headers": dict(health.headers),
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location"),
    "plain_health_status": plain_health.status_code,
    "foreign_status": foreign.status_code,
    "debug": settings.DEBUG,
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
}))
"""


def test_production_responses_are_strict_https_with_hsts_and_csp(tmp_path):
    result = run_in_production(
        tmp_path, ["-c", PRODUCTION_PROBE], SECRET_KEY=long_secret(), ALLOWED_HOSTS="tandem.example.com"
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])

    assert probe["debug"] is False
    assert probe["session_cookie_secure"] and probe["csrf_cookie_secure"]
    assert probe["health_status"] == 200
    headers = probe["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    # plain HTTP is redirected to HTTPS, except the health check used by container probes
    assert probe["plain_status"] == 301
    assert probe["plain_location"] == "https://tandem.example.com/"
    assert probe["plain_health_status"] == 200
    # a Host that is not in ALLOWED_HOSTS is refused
    assert probe["foreign_status"] == 400


@pytest.mark.django_db
def test_every_page_carries_a_self_only_content_security_policy(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    policy = dict(
        directive.strip().split(" ", 1) for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("processes", ["1", "2"])
def test_several_web_processes_need_a_shared_layer_and_cache(tmp_path, processes):
    # the embedded default (no REDIS_URL): in-memory channel layer, local-memory cache
    result = run_in_production(
        tmp_path,
        ["manage.py", "check"],
        SECRET_KEY=long_secret(),
        ALLOWED_HOSTS="tandem.example.com",
        WEB_CONCURRENCY=processes,
    )

    if processes == "1":
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode != 0
        assert "WEB_CONCURRENCY=2 runs several web processes" in result.stderr
        assert "set REDIS_URL, or WEB_CONCURRENCY=1" in result.stderr


@pytest.mark.parametrize(
    ("choice", "backend"),
    [
        ("lists", "channels_redis.core.RedisChannelLayer"),
        ("pubsub", "channels_redis.pubsub.RedisPubSubChannelLayer"),
    ],
)
def test_the_redis_channel_layer_is_lists_or_pubsub(tmp_path, choice, backend):
    result = run_in_production(
        tmp_path,
        ["-c", "from django.conf import settings; print(settings.CHANNEL_LAYERS['default']['BACKEND'])"],
        SECRET_KEY=long_secret(),
        ALLOWED_HOSTS="tandem.example.com",
        REDIS_URL="redis://127.0.0.1:6379/0",
        CHANNEL_LAYER=choice,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == backend


def test_an_unknown_channel_layer_is_refused(tmp_path):
    result = run_in_production(
        tmp_path,
        ["manage.py", "check"],
        SECRET_KEY=long_secret(),
        ALLOWED_HOSTS="tandem.example.com",
        REDIS_URL="redis://127.0.0.1:6379/0",
        CHANNEL_LAYER="kafka",
    )

    assert result.returncode != 0
    assert "CHANNEL_LAYER must be lists or pubsub, not 'kafka'" in result.stderr


def settings_value(tmp_path, name, **env_overrides):
    """One setting as the development configuration computes it in a clean environment."""
    result = run_in_production(
        tmp_path,
        ["-c", f"import django; django.setup(); from django.conf import settings; print(settings.{name})"],
        DJANGO_ENV="development",
        **env_overrides,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_site_url_follows_the_port_make_run_serves(tmp_path):
    # given: `make run PORT=8123` passes TANDEM_HOST/TANDEM_PORT to every process
    site_url = settings_value(tmp_path, "SITE_URL", TANDEM_HOST="127.0.0.1", TANDEM_PORT="8123")

    assert site_url == "http://127.0.0.1:8123"


def test_site_url_shows_a_wildcard_bind_as_the_loopback_address(tmp_path):
    assert settings_value(tmp_path, "SITE_URL", TANDEM_HOST="0.0.0.0", TANDEM_PORT="9000") == (
        "http://127.0.0.1:9000"
    )


def test_an_explicit_site_url_wins_over_the_served_address(tmp_path):
    site_url = settings_value(tmp_path, "SITE_URL", SITE_URL="https://tandem.example.com", TANDEM_PORT="8123")

    assert site_url == "https://tandem.example.com"
