"""The whole chain with a REAL worker process: a committed event → the broker →
``celery -A mentoring.config worker`` → the recompute task → the visible score.

PostgreSQL + Redis only: the worker must see the test database (committed rows
of a transactional test) and share the broker and the cache (the coalescing flag)."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from core import clock
from mentoring.config.celery import app
from tests.trust.factories import observe
from trust.models import TrustScore

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 90  # a cold worker start on a busy machine; not a performance assertion


def _database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{auth}@{host}/{connection.settings_dict['NAME']}"


@pytest.fixture
def real_worker(tmp_path):
    """A worker subprocess on a queue of its own; trust.recompute_subject is routed to it."""
    queue = f"trust-test-{uuid.uuid4().hex[:10]}"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_TASK_ALWAYS_EAGER"}}
    env.update(
        DJANGO_ENV="development",
        DATABASE_URL=_database_url(),
        REDIS_URL=settings.REDIS_URL,
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        DB_POOL="0",
        PYTHONUNBUFFERED="1",
    )
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
    previous = (app.conf.task_always_eager, app.conf.task_routes)
    app.conf.task_always_eager = False
    app.conf.task_routes = {"trust.recompute_subject": {"queue": queue}}
    try:
        yield worker, log_path
    finally:
        app.conf.task_always_eager, app.conf.task_routes = previous
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


@pytest.mark.worker
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_committed_event_reaches_the_score_through_a_real_worker(real_worker, bob):
    worker, log_path = real_worker
    # when: five events are committed (no eager Celery: they go through Redis)
    for _ in range(5):
        observe(bob, dimension="integrity", outcome=1.0)
    committed_at = clock.now()
    # the touched key's tally and belief are current at commit (record_evidence keeps them) ...
    assert TrustScore.objects.get(subject=bob, dimension="integrity").evidence_count == 5
    # then: the worker process recomputes the whole subject after the commit
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not TrustScore.objects.filter(
        subject=bob, dimension="integrity", evidence_count=5, computed_at__gte=committed_at
    ).exists():
        assert worker.poll() is None, f"the worker exited early:\n{log_path.read_text()}"
        assert time.monotonic() < deadline, f"no recompute arrived:\n{log_path.read_text()}"
        time.sleep(0.2)
    score = TrustScore.objects.get(subject=bob, dimension="integrity")
    assert score.mean > 0.6
    log = log_path.read_text()
    assert "trust.recompute_subject" in log
    # the burst was coalesced: fewer recomputes than events
    assert log.count("Task trust.recompute_subject[") // 2 < 5
