"""The Celery app: autodiscovered tasks, the beat schedule gathered from each
app's ``beat.py``, the housekeeping task, and a REAL worker process.

The worker test (marked ``worker``) starts ``celery -A mentoring.config worker`` as a
subprocess and watches the task's effect in a database both processes see:
- PostgreSQL (DATABASE_URL set): the test database itself; the test is
  transactional so its rows are committed and visible to the worker.
- SQLite: the test database lives in memory, which no other process can see,
  so the test migrates a SQLite file in a temporary folder, points the worker
  at it with DATABASE_URL, and reads and writes that file directly.
The broker is Redis when REDIS_URL is set, otherwise kombu's filesystem
transport in a temporary folder; a queue of its own keeps other workers away.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection

from core import clock
from mentoring.config.celery import app, beat_schedule
from mentoring.tasks import clear_expired_sessions

ROOT = Path(__file__).resolve().parents[2]
WORKER_DEADLINE = 90  # seconds: generous for a cold start on 2 busy cores


def make_session(key: str, expires_in: timedelta) -> Session:
    return Session.objects.create(session_key=key, session_data="e30:", expire_date=clock.now() + expires_in)


@pytest.mark.django_db
def test_clear_expired_sessions_deletes_only_sessions_whose_expiry_has_passed():
    make_session("expired" + "x" * 25, timedelta(minutes=-1))
    make_session("current" + "x" * 25, timedelta(days=1))

    deleted = clear_expired_sessions.delay()  # eager in tests: runs here

    assert Session.objects.filter(session_key__startswith="expired").count() == 0
    assert Session.objects.filter(session_key__startswith="current").count() == 1
    assert deleted.get() == 1


@pytest.mark.django_db
def test_clear_expired_sessions_reads_now_through_the_clock_seam():
    make_session("tomorrow" + "x" * 24, timedelta(days=1))

    with clock.travel_to(clock.now() + timedelta(days=2)):
        clear_expired_sessions.delay()

    assert not Session.objects.exists()


def test_beat_schedule_is_gathered_from_each_apps_beat_module_and_names_registered_tasks():
    schedule = beat_schedule()

    assert "mentoring.clear_expired_sessions" in schedule
    app.loader.import_default_modules()
    for name, entry in schedule.items():
        assert entry["task"] in app.tasks, f"beat entry {name} names an unknown task {entry['task']}"
    # the finalized app carries the same schedule beat will run
    assert set(schedule) <= set(app.conf.beat_schedule)


def test_two_apps_claiming_the_same_beat_entry_is_an_error(tmp_path, monkeypatch):
    for package in ("clasha", "clashb"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
        (tmp_path / package / "beat.py").write_text(
            'BEAT_SCHEDULE = {"same.entry": {"task": "x", "schedule": 60}}\n'
        )
    monkeypatch.syspath_prepend(str(tmp_path))

    with pytest.raises(ValueError, match=r"same\.entry"):
        beat_schedule(["clasha", "clashb"])


def test_an_app_without_a_beat_module_contributes_nothing():
    assert beat_schedule(["tests"]) == {}
    assert beat_schedule(["tests", "mentoring"]) == beat_schedule(["mentoring"])


# --- a real worker ----------------------------------------------------------


class WorkerDatabase:
    """Sessions in a database the worker subprocess can reach."""

    def __init__(self, tmp_path: Path):
        self.file = None
        if settings.USING_POSTGRES:
            name = connection.settings_dict["NAME"]  # the test database (test_<name>)
            self.url = _postgres_url(name)
        else:
            self.file = tmp_path / "worker.sqlite3"
            self.url = f"sqlite:///{self.file}"
            result = subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                cwd=ROOT,
                env=worker_env(self.url, tmp_path, broker_url="filesystem://"),
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert result.returncode == 0, result.stderr

    def add_session(self, key: str, expires_in: timedelta):
        if self.file is None:
            make_session(key, expires_in)
            return
        with sqlite3.connect(self.file) as db:
            db.execute(
                "INSERT INTO django_session (session_key, session_data, expire_date) VALUES (?, ?, ?)",
                (key, "e30:", (clock.now() + expires_in).strftime("%Y-%m-%d %H:%M:%S.%f")),
            )

    def session_keys(self) -> set[str]:
        if self.file is None:
            return set(Session.objects.values_list("session_key", flat=True))
        with sqlite3.connect(self.file) as db:
            return {row[0] for row in db.execute("SELECT session_key FROM django_session")}


def _postgres_url(name: str) -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def worker_env(database_url: str, tmp_path: Path, *, broker_url: str) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER"}
    }
    env.update(
        DJANGO_ENV="development",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        CELERY_DATA_DIR=str(tmp_path / "celery"),
        PYTHONUNBUFFERED="1",
    )
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    return env


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_process_runs_the_housekeeping_task_against_the_database(tmp_path):
    # given: a database the worker can see, with one expired and one current session
    database = WorkerDatabase(tmp_path)
    expired, current = "expired" + uuid.uuid4().hex[:25], "current" + uuid.uuid4().hex[:25]
    database.add_session(expired, timedelta(hours=-1))
    database.add_session(current, timedelta(days=1))
    broker_url = settings.REDIS_URL or "filesystem://"
    queue = f"tandem-test-{uuid.uuid4().hex[:12]}"
    env = worker_env(database.url, tmp_path, broker_url=broker_url)

    # a producer that is not eager, speaking to the same broker as the worker
    # set_as_current=False: a new app would otherwise become the "current" app for
    # every shared_task in this process, and later tests would stop running eagerly
    producer = Celery("tandem-test-producer", broker=broker_url, set_as_current=False)
    if broker_url == "filesystem://":
        folder = str(tmp_path / "celery" / "queue")
        os.makedirs(folder, exist_ok=True)
        producer.conf.broker_transport_options = {
            "data_folder_in": folder,
            "data_folder_out": folder,
            "control_folder": str(tmp_path / "celery" / "control"),
        }

    log_path = tmp_path / "worker.log"
    with open(log_path, "w") as log:
        worker = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "mentoring.config", "worker"),
                *("--pool", "solo", "--queues", queue, "--loglevel", "INFO"),
                *("--without-gossip", "--without-mingle", "--without-heartbeat"),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # when: the task is sent through the broker (the worker may still be starting)
        producer.send_task("mentoring.clear_expired_sessions", queue=queue)

        # then: the worker deletes the expired session and keeps the current one
        deadline = time.monotonic() + WORKER_DEADLINE
        while expired in database.session_keys():
            assert worker.poll() is None, f"the worker exited early:\n{log_path.read_text()}"
            assert time.monotonic() < deadline, f"the worker did not run the task:\n{log_path.read_text()}"
            time.sleep(0.2)
        assert current in database.session_keys()
        assert "mentoring.clear_expired_sessions" in log_path.read_text()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        producer.close()
