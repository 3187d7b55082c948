"""The REST API against its own OpenAPI schema (schemathesis), on a live server.

    python .ci/schemathesis.py [--examples N]

A scratch database (``<DATABASE_URL's db>_api`` on PostgreSQL, dropped again;
without DATABASE_URL a SQLite file in a temporary folder) is migrated and seeded
with the demo workspace (``seed_demo``); uvicorn serves it on a free port. Then
schemathesis runs every operation of ``/api/schema/`` with at most N generated
examples each (default 5), once authenticated as a member and once as a talent
manager (API tokens), with two checks: no 5xx answer (``not_a_server_error``) and
every answer matches the documented schema (``response_schema_conformance``).
Excluded: ``/api/me/token`` (rotating the token would sign the run itself out).
Exits non-zero when either check fails for either person.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
ST = str(ROOT / ".venv" / "bin" / "st")
START_SECONDS = 120

TOKENS = """
import django; django.setup()
from rest_framework.authtoken.models import Token
from accounts.models import Membership
for role in ("member", "talent_manager"):
    membership = (Membership.objects.filter(role=role, is_active=True, user__is_active=True)
                  .select_related("user").order_by("pk").first())
    print(role, Token.objects.get_or_create(user=membership.user)[0].key)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(args, env, **kwargs):
    print("+", " ".join(args), flush=True)
    return subprocess.run(args, cwd=ROOT, env=env, check=True, **kwargs)


def scratch_database(env, tmp: Path) -> tuple[str, callable]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{tmp / 'api.sqlite3'}", lambda: None
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/") + "_api"
    conn = [
        "-h",
        parts.hostname or "127.0.0.1",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
    ]
    subprocess.run(["dropdb", "--if-exists", *conn, name], check=True, env=env)
    subprocess.run(["createdb", *conn, name], check=True, env=env)
    return parts._replace(path=f"/{name}").geturl(), lambda: subprocess.run(
        ["dropdb", "--if-exists", "--force", *conn, name], env=env, check=False
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=5, help="generated examples per operation")
    options = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tandem-api-"))
    env = {**os.environ}
    database_url, drop = scratch_database(env, tmp)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_ENV="development",
        DJANGO_SETTINGS_MODULE="mentoring.config.settings",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        DISABLE_RATE_LIMITS="true",
        API_RATE_USER="1000000/min",
        API_RATE_ANON="1000000/min",
        API_RATE_WRITES="1000000/min",
        CELERY_TASK_ALWAYS_EAGER="true",
        CELERY_DATA_DIR=str(tmp / "celery"),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
    )
    server = None
    failed = []
    try:
        run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], env)
        run([PYTHON, "manage.py", "seed_demo"], env, stdout=subprocess.DEVNULL)
        tokens = dict(
            line.split()
            for line in run([PYTHON, "-c", TOKENS], env, capture_output=True, text=True).stdout.split("\n")
            if line
        )
        port = free_port()
        server = subprocess.Popen(
            [
                PYTHON,
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
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz/live", timeout=2).close()  # noqa: S310 (http only)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    print("the server did not start", flush=True)
                    return 1
                time.sleep(0.5)
        for role in ("member", "talent_manager"):
            result = subprocess.run(
                [
                    ST,
                    "run",
                    f"{base}/api/schema/",
                    "--url",
                    base,
                    "--checks",
                    "not_a_server_error,response_schema_conformance",
                    "--max-examples",
                    str(options.examples),
                    "--phases",
                    "examples,fuzzing",
                    "--exclude-path",
                    "/api/me/token",
                    "--generation-deterministic",
                    "--header",
                    f"Authorization: Token {tokens[role]}",
                    "--request-timeout",
                    "30",
                    "--workers",
                    "1",
                ],
                cwd=ROOT,
                env=env,
                check=False,
            )
            print(f"schemathesis as {role}: exit {result.returncode}", flush=True)
            if result.returncode != 0:
                failed.append(role)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
        drop()
        shutil.rmtree(tmp, ignore_errors=True)
    if failed:
        print(f"schemathesis found 5xx answers or schema violations as: {', '.join(failed)}")
        return 1
    print("schemathesis: 0 server errors, 0 response-schema violations (member and talent manager)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
