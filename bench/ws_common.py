"""What the WebSocket benchmarks share: a scratch database with people,
workspaces, group engagements and their chats made through the real services,
real session cookies, uvicorn processes started and stopped by the benchmark,
and a small socket client.

Every server runs ``uvicorn mentoring.config.asgi:application`` the way the Procfile
does (``--ws websockets-sansio``), one process per port (the benchmark is the
load balancer: it spreads clients over the ports), with production settings
(``DJANGO_ENV=production``, ``DEBUG`` off) except ``SECURE_SSL_REDIRECT`` (plain
``ws://`` on localhost). The product's socket rate limit is left as it is:
every benchmark keeps each person under 20 messages per 10 s.
"""

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
for _path in (str(ROOT), str(BENCH)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from scratch import log, p95, recreate_database, scratch_database, setup_django  # noqa: E402

HOST = "127.0.0.1"
# each benchmark user's own range of 100 ports (several people share the machine)
PORT_BASE = int(os.environ.get("BENCH_PORT_BASE", "18300"))
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tandem_h3"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/3"
PYTHON = (
    str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
)
EMAIL_DOMAIN = "wsbench.example"
GRACEFUL_SHUTDOWN_SECONDS = 8  # uvicorn --timeout-graceful-shutdown of the Procfile

__all__ = ["log", "p95"]


def percentile(values: list[float], q: int) -> float:
    import statistics

    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def summary_ms(values: list[float]) -> dict:
    """p50 / p95 / p99 / max in milliseconds (values in seconds)."""
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": round(percentile(values, 50) * 1000, 2),
        "p95": round(percentile(values, 95) * 1000, 2),
        "p99": round(percentile(values, 99) * 1000, 2),
        "max": round(max(values) * 1000, 2),
    }


# --- environment -----------------------------------------------------------------


class Bench:
    """One benchmark run: scratch database, Redis key prefix, settings for the
    servers it starts, and the cleanup of all of them."""

    def __init__(self, name: str, *, redis_url: str | None = None, keep: bool = False):
        base = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
        if not base.startswith("postgres"):
            raise SystemExit("The socket benchmarks need PostgreSQL: set DATABASE_URL=postgres://…")
        self.name = name
        self.keep = keep
        self.admin_url, self.database_url, self.database_name = scratch_database(base, name)
        self.redis_url = redis_url or os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
        self.prefix = f"wsb{os.getpid()}"
        self.secret = secrets.token_hex(40)
        self.servers: list[Server] = []

    def server_env(self, **extra) -> dict:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ENV"}
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "mentoring.config.settings",
                "DJANGO_ENV": "production",
                "SECRET_KEY": self.secret,
                "ALLOWED_HOSTS": f"{HOST},localhost",
                "SECURE_SSL_REDIRECT": "0",
                "DEBUG": "0",
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis_url,
                "CHANNEL_PREFIX": self.prefix,
                "CACHE_KEY_PREFIX": self.prefix,
                # Notifications' delayed e-mails would otherwise queue in Redis.
                "CELERY_BROKER_URL": "memory://",
                "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                "LOG_LEVEL": "WARNING",
                # The production default: pooled connections (this process sets
                # DB_POOL=0 for itself, which the servers must not inherit).
                "DB_POOL": "1",
                "PYTHONPATH": os.pathsep.join([str(ROOT), str(BENCH)]),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update({key: str(value) for key, value in extra.items()})
        return env

    def setup(self) -> None:
        """Create the scratch database from a migrated template and set Django up
        in this process with the servers' settings (same SECRET_KEY, so the
        sessions made here are valid there).

        The template ``<db>_ws_template`` is kept between runs (migrating from
        scratch takes 5–25 s on this machine, more than a --quick budget) and
        rebuilt whenever any migration file changes (a hash of them is its
        database comment)."""
        import psycopg

        started = time.perf_counter()
        base = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
        _, template_url, template = scratch_database(base, "ws_template")
        fingerprint = migrations_fingerprint()
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [template]
            ).fetchone()
        fresh = row is None or row[0] != fingerprint
        if fresh:
            recreate_database(self.admin_url, template)
        env = self.server_env()
        setup_django(
            template_url,
            env={
                key: env[key]
                for key in (
                    "DJANGO_ENV",
                    "SECRET_KEY",
                    "ALLOWED_HOSTS",
                    "SECURE_SSL_REDIRECT",
                    "REDIS_URL",
                    "CHANNEL_PREFIX",
                    "CACHE_KEY_PREFIX",
                    "CELERY_BROKER_URL",
                    "EMAIL_BACKEND",
                )
            },
        )
        from django.conf import settings
        from django.db import connections

        connections.close_all()
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            if fresh:
                conn.execute(f"COMMENT ON DATABASE \"{template}\" IS '{fingerprint}'")
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.database_name}" TEMPLATE "{template}"')
        settings.DATABASES["default"]["NAME"] = self.database_name
        connections["default"].settings_dict["NAME"] = self.database_name
        os.environ["DATABASE_URL"] = self.database_url
        log(
            f"[{self.name}] scratch database {self.database_name} ready in "
            f"{time.perf_counter() - started:.1f} s ({'new' if fresh else 'cached'} template)"
        )

    def start_servers(self, app: str, ports: list[int], *, workers: int = 1, **env) -> list["Server"]:
        servers = [Server(app, port, self.server_env(**env), workers=workers) for port in ports]
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready()
        self.servers.extend(servers)
        return servers

    def cleanup(self) -> None:
        for server in self.servers:
            server.stop()
        self.servers.clear()
        try:
            from django.db import connections

            connections.close_all()
        except Exception as error:  # Django may not be set up yet
            log(f"[{self.name}] closing database connections: {error}")
        try:
            import redis

            client = redis.Redis.from_url(self.redis_url)
            keys = list(client.scan_iter(match=f"{self.prefix}*", count=1000))
            for start in range(0, len(keys), 500):
                client.delete(*keys[start : start + 500])
        except Exception as error:  # the benchmark's own Redis may be gone already
            log(f"[{self.name}] Redis cleanup skipped: {error}")
        if not self.keep:
            recreate_database(self.admin_url, self.database_name, drop_only=True)


def migrations_fingerprint() -> str:
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


# --- servers -------------------------------------------------------------------------


class Server:
    """One uvicorn process (its own process group, so stopping it stops only it)."""

    def __init__(self, app: str, port: int, env: dict, *, workers: int = 1):
        self.app, self.port, self.env, self.workers = app, port, env, workers
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"ws://{HOST}:{self.port}/ws/"

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        command = [
            PYTHON,
            "-m",
            "uvicorn",
            self.app,
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--ws",
            "websockets-sansio",
            "--log-level",
            "warning",
            "--no-access-log",
            "--timeout-graceful-shutdown",  # as the Procfile, Dockerfile and compose run it
            str(GRACEFUL_SHUTDOWN_SECONDS),
            "--workers",
            str(self.workers),
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, start_new_session=True)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn on port {self.port} exited with {self.process.returncode}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"uvicorn on port {self.port} did not start in {timeout:.0f} s")

    def kill(self) -> None:
        """SIGKILL: the process dies without closing its sockets cleanly."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def terminate(self, timeout: float = 60.0) -> float | None:
        """SIGTERM, as a rolling deploy sends it: seconds until the process exited,
        or None if it had to be SIGKILLed after ``timeout``."""
        started = time.perf_counter()
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None
        return time.perf_counter() - started

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()


def cpu_seconds(servers: list[Server]) -> float:
    """User + system CPU time the server processes have used so far (Linux /proc),
    worker processes of a ``--workers`` server included (its process group)."""
    groups = {server.process.pid for server in servers if server.process and server.process.poll() is None}
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) in groups:  # field 5 of stat: the process group
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def free_port(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((HOST, port)) != 0


# --- people, engagements, chats (through the real services) ---------------------------


def make_workspace(n_people: int):
    """A talent manager who creates the workspace (domain allow-list) and
    ``n_people`` members who join by their verified e-mail domain.
    Returns (manager, [members])."""
    from allauth.account.models import EmailAddress

    from accounts.models import User
    from accounts.services.workspaces import workspace_create, workspace_join_by_domain

    def person(i: int, name: str):
        # No usable password: hashing 200 passwords would dominate the setup, and
        # the sockets log in with sessions made by django.contrib.auth.login.
        user = User.objects.create_user(f"p{i}@{EMAIL_DOMAIN}", None, full_name=name)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        return user

    manager = person(0, "Bench Manager")
    organization = workspace_create(user=manager, name="Socket bench", domains=[EMAIL_DOMAIN])
    members = []
    for i in range(1, n_people + 1):
        user = person(i, f"Member {i:04d}")
        workspace_join_by_domain(user=user, organization_id=organization.pk)
        members.append(user)
    return manager, members


def make_group_chat(manager, people: list, title: str):
    """A group engagement (first person mentor, the rest seekers) started by the
    talent manager, and its conversation. Returns the Conversation."""
    from mentoring.engagements.services.engagements import group_engagement_create
    from messaging.chat.services import conversation_for_engagement

    engagement = group_engagement_create(actor=manager, title=title, mentors=people[:1], seekers=people[1:])
    return conversation_for_engagement(engagement=engagement)


def session_cookies(users: list) -> dict[int, str]:
    """A real session per user (``django.contrib.auth.login`` through the test
    client's force_login, so the session engine and the login signals run)."""
    from django.conf import settings
    from django.test import Client

    cookies = {}
    for user in users:
        client = Client()
        client.force_login(user)
        cookies[user.pk] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return cookies


# --- socket client ---------------------------------------------------------------------


async def ws_connect(server: Server, cookie: str | None = None, *, timeout: float = 30.0):
    from django.conf import settings
    from websockets.asyncio.client import connect

    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"} if cookie else None
    return await connect(
        server.url,
        origin=server.origin,
        additional_headers=headers,
        open_timeout=timeout,
        ping_interval=None,
        max_queue=None,
        compression=None,
    )


async def gather_limited(coroutines, limit: int = 20):
    """Run coroutines with at most ``limit`` at a time (connect storms)."""
    semaphore = asyncio.Semaphore(limit)

    async def one(coroutine):
        async with semaphore:
            return await coroutine

    return await asyncio.gather(*(one(c) for c in coroutines))


def emit(result: dict) -> None:
    """The benchmark's result: the last line of stdout (DESIGN §9)."""
    print(json.dumps(result), flush=True)


def load_average() -> float:
    return round(os.getloadavg()[0], 2)
