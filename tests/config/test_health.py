"""Liveness touches nothing; readiness (GET /healthz/ready, also /healthz) reports
every dependency with its own timeout; 503 when one is down or does not answer."""

import json
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings

from mentoring.config.celery import app as celery_app
from tests.factories import UserFactory, member
from tests.live_server import LiveServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(db):
    """Staff see backends and error texts; anonymous callers only states and timings."""
    staff = UserFactory(is_staff=True)
    client = Client()
    client.force_login(staff)
    return client


def unused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dead_redis_url() -> str:
    return f"redis://127.0.0.1:{unused_port()}/0"


def test_healthz_reports_every_dependency_ok_with_status_200(client):
    response = client.get("/healthz/ready")

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


def test_liveness_answers_without_touching_any_dependency(client, django_assert_num_queries):
    dead_cache = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": dead_redis_url()}
    }
    anonymous = Client()
    with override_settings(CACHES=dead_cache), django_assert_num_queries(0):
        response = anonymous.get("/healthz/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_an_anonymous_caller_sees_states_and_timings_but_no_backends_or_errors(settings):
    response = Client().get("/healthz/ready")

    assert response.status_code == 200
    for check in response.json()["checks"].values():
        assert set(check) == {"status", "ms"}


# --- the two probes of issue 14: sockets open, and a Redis that stopped -----------------


@pytest.fixture
def live_server_url(transactional_db):
    server = LiveServer().start()
    yield server
    server.stop()


def socket_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


READY_ANSWER_SECONDS = 1.0  # what issue 14 asks: the probe answers within a second


@pytest.mark.postgres
@pytest.mark.redis
def test_readiness_answers_within_a_second_while_50_sockets_are_open_on_the_process(live_server_url):
    from websockets.sync.client import connect

    # given 50 open, authenticated sockets on one web process (channels-redis: each
    # socket's receive holds the process's one receive lock)
    server = live_server_url
    people = [member() for _ in range(5)]
    sockets = []
    try:
        for index in range(50):
            ws = connect(
                f"ws://127.0.0.1:{server.port}/ws/",
                origin=f"http://127.0.0.1:{server.port}",
                additional_headers={"Cookie": socket_cookie(people[index % len(people)])},
                open_timeout=10,
            )
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"
            sockets.append(ws)

        # when the orchestrator asks for readiness, then it answers in time, all ok
        with urllib.request.urlopen(f"{server.url}/healthz/ready", timeout=READY_ANSWER_SECONDS) as response:
            body = json.loads(response.read())
        assert response.status == 200
        assert {name: check["status"] for name, check in body["checks"].items()} == {
            "database": "ok",
            "cache": "ok",
            "channel_layer": "ok",
            "broker": "ok",
        }
        for ws in sockets[:3]:  # and the sockets still work
            ws.send(json.dumps({"type": "ping", "ref": "after"}))
            assert json.loads(ws.recv(timeout=10)) == {"type": "pong", "ref": "after"}
    finally:
        for ws in sockets:
            ws.close()


@pytest.fixture
def own_redis():
    """A redis-server of this test's own on a spare port (the shared one is never stopped)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = unused_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)
    yield process, f"redis://127.0.0.1:{port}/0"
    process.send_signal(signal.SIGCONT)
    process.kill()
    process.wait(10)


def layer_on(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": url, "socket_timeout": 15, "socket_connect_timeout": 5}]},
        }
    }


@pytest.mark.parametrize("stop", [signal.SIGSTOP, signal.SIGKILL], ids=["frozen", "killed"])
def test_readiness_is_503_for_the_channel_layer_when_its_redis_stops(client, own_redis, settings, stop):
    process, url = own_redis
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 0.5
    with override_settings(CHANNEL_LAYERS=layer_on(url)):
        assert client.get("/healthz/ready").json()["checks"]["channel_layer"]["status"] == "ok"

        process.send_signal(stop)  # frozen: connections are accepted and never answered
        response = client.get("/healthz/ready")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["channel_layer"]["status"] in {"error", "timeout"}, checks
    assert checks["database"]["status"] == "ok"
