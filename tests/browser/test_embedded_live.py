"""On `make run`'s configuration (SQLite, the in-memory channel layer relayed between
processes, Celery over the filesystem broker, a separate worker process), a
notification the worker creates reaches an open tab live: the bell changes within 2 s
of the row being written, long before its one-minute poll.

Everything runs as `make run` runs it: `migrate` and `seed_demo` into a SQLite file in a
temporary folder, then uvicorn and `celery worker` as their own processes with
DJANGO_ENV=development and no DATABASE_URL/REDIS_URL. The worker's job is a real one:
the demo's pending invitation has passed its deadline and `mentoring.invitation_timeout`
expires it, which notifies the mentor.
"""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from mentoring.config.demo.people import DEMO_PASSWORD

pytestmark = pytest.mark.worker

ROOT = Path(__file__).resolve().parents[2]
START_DEADLINE = 120  # seconds, for a cold start on two busy cores
LIVE_MS = 2_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def embedded(tmp_path):
    """`make run` in a temporary folder: returns (base URL, environment, database path)."""
    port = free_port()
    database = tmp_path / "db.sqlite3"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_ENV": "development",
        "DJANGO_SETTINGS_MODULE": "mentoring.config.settings",
        "DATABASE_URL": f"sqlite:///{database}",
        "CELERY_DATA_DIR": str(tmp_path / "celery"),
        "CHANNEL_RELAY_PATH": str(tmp_path / "channel-relay.sqlite3"),
        "TANDEM_HOST": "127.0.0.1",
        "TANDEM_PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    for folder in ("queue", "processed", "control"):
        (tmp_path / "celery" / folder).mkdir(parents=True)
    for command in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "mentoring.config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--ws",
                "websockets-sansio",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        ),
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "mentoring.config",
                "worker",
                "--loglevel",
                "WARNING",
                "--concurrency",
                "1",
                "--pool",
                "solo",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        ),
    ]
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_DEADLINE
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("the web process did not start") from None
            time.sleep(0.3)
    yield url, env, database
    for process in processes:
        os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def query(database: Path, sql: str, *params):
    with sqlite3.connect(database, timeout=20) as connection:
        return connection.execute(sql, params).fetchall()


def test_a_notification_created_by_the_worker_reaches_an_open_tab_live(embedded, browser):
    url, env, database = embedded
    [(invitation_id, mentor_id, email)] = query(
        database,
        "SELECT i.id, i.mentor_id, u.email FROM mentoring_invitation i "
        "JOIN accounts_user u ON u.id = i.mentor_id "
        "WHERE i.state = 'pending' ORDER BY i.id LIMIT 1",
    )
    unread_before = query(
        database,
        "SELECT COUNT(*) FROM messaging_notification WHERE recipient_id = ? AND read_at IS NULL",
        mentor_id,
    )[0][0]

    # given: the mentor has Tandem open and its socket said hello
    context = browser.new_context(base_url=url)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    with page.expect_websocket() as socket_info:
        page.locator("main button[type=submit]").first.click()
    websocket = socket_info.value
    websocket.wait_for_event("framereceived", predicate=lambda frame: '"hello"' in str(frame))
    bell = page.locator("[data-notification-number]")
    expect(bell).to_have_text(str(unread_before))

    # when: the invitation's deadline has passed and the worker runs its timeout
    query(
        database,
        "UPDATE mentoring_invitation SET expires_at = '2000-01-01 00:00:00' WHERE id = ?",
        invitation_id,
    )
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from mentoring.engagements.tasks import invitation_timeout; "
            f"invitation_timeout.delay({invitation_id})",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    deadline = time.monotonic() + START_DEADLINE
    while not query(
        database,
        "SELECT 1 FROM messaging_notification WHERE recipient_id = ? AND kind = 'invitation.expired'",
        mentor_id,
    ):
        assert time.monotonic() < deadline, "the worker never expired the invitation"
        time.sleep(0.05)

    # then: the open tab's bell shows it within 2 s of the row being written
    expect(bell).to_have_text(str(unread_before + 1), timeout=LIVE_MS)
    context.close()
