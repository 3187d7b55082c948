"""GET /healthz reports every dependency with a real round trip; 503 when one is down."""

import socket
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from mentoring.config.celery import app as celery_app

pytestmark = pytest.mark.django_db


def unused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dead_redis_url() -> str:
    return f"redis://127.0.0.1:{unused_port()}/0"


def test_healthz_reports_every_dependency_ok_with_status_200(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "channel_layer", "broker"}
    assert all(check["status"] == "ok" for check in body["checks"].values()), body
    assert body["checks"]["database"]["backend"] == ("postgresql" if settings.USING_POSTGRES else "sqlite")
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_names_the_configured_backends(client):
    checks = client.get("/healthz").json()["checks"]

    if settings.REDIS_URL:
        assert checks["cache"]["backend"] == "RedisCache"
        assert checks["channel_layer"]["backend"] == "RedisChannelLayer"
        assert checks["broker"]["transport"] == "redis"
    else:
        assert checks["cache"]["backend"] == "LocMemCache"
        assert checks["channel_layer"]["backend"] == "InMemoryChannelLayer"
        assert checks["broker"]["transport"] == "filesystem"


def test_healthz_is_503_and_names_the_cache_when_the_cache_redis_is_unreachable(client):
    dead_cache = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": dead_redis_url()}
    }
    # restored inside the test, before the suite's cache-clearing teardown runs
    with override_settings(CACHES=dead_cache):
        response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["cache"]["status"] == "error"
    assert "ConnectionError" in body["checks"]["cache"]["error"]
    assert body["checks"]["database"]["status"] == "ok"


def test_healthz_is_503_when_the_channel_layer_redis_is_unreachable(client):
    dead_layer = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [dead_redis_url()]},
        }
    }
    with override_settings(CHANNEL_LAYERS=dead_layer):
        response = client.get("/healthz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["channel_layer"]["status"] == "error"
    assert checks["cache"]["status"] == "ok"


def test_healthz_is_503_when_the_celery_broker_is_unreachable(client, monkeypatch):
    monkeypatch.setitem(celery_app.conf, "broker_url", dead_redis_url())

    response = client.get("/healthz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["status"] == "error"
    assert "OperationalError" in checks["broker"]["error"]
    assert checks["database"]["status"] == "ok"


def test_filesystem_broker_check_creates_its_folders_and_round_trips_a_message(client, monkeypatch, tmp_path):
    queue_dir, processed_dir = tmp_path / "celery" / "queue", tmp_path / "celery" / "processed"
    control_dir = tmp_path / "celery" / "control"
    monkeypatch.setitem(celery_app.conf, "broker_url", "filesystem://")
    monkeypatch.setitem(
        celery_app.conf,
        "broker_transport_options",
        {
            "data_folder_in": str(queue_dir),
            "data_folder_out": str(queue_dir),
            "processed_folder": str(processed_dir),
            "control_folder": str(control_dir),
            "store_processed": False,
        },
    )

    response = client.get("/healthz")

    assert response.status_code == 200, response.json()
    broker = response.json()["checks"]["broker"]
    assert (broker["status"], broker["transport"]) == ("ok", "filesystem")
    assert queue_dir.is_dir() and processed_dir.is_dir() and control_dir.is_dir()
    assert list(queue_dir.iterdir()) == []  # the check consumed the message it published


def test_the_broker_is_redis_with_redis_url_and_otherwise_files_under_celery_data_dir():
    if settings.REDIS_URL:
        assert settings.CELERY_BROKER_URL == settings.REDIS_URL
        return
    assert settings.CELERY_BROKER_URL == "filesystem://"
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    keys = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")
    assert all(Path(options[key]).is_relative_to(settings.CELERY_DATA_DIR) for key in keys)


def test_healthz_only_answers_get(client):
    assert client.post("/healthz").status_code == 405
