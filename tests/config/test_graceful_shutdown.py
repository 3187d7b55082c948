"""SIGTERM to a web process with open sockets (a rolling deploy): every socket
gets close code 1012 (service restart: reconnect) and the process exits on its
own within its graceful-shutdown bound, run exactly as the Procfile runs it."""

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import member

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def procfile_web_flags() -> list[str]:
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    args = shlex.split(re.sub(r"\$\{[^}]+\}", "x", line.split(":", 1)[1]))
    flags, skip = [], False
    start = args.index("uvicorn") + 2  # after "[VAR=value ...] uvicorn <app>"
    for arg in args[start:]:
        if skip:
            skip = False
            continue
        if arg in ("--host", "--port"):
            skip = True
            continue
        flags.append(arg)
    return flags


def graceful_bound(flags: list[str]) -> float:
    return float(flags[flags.index("--timeout-graceful-shutdown") + 1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_procfile_bounds_the_graceful_shutdown():
    assert graceful_bound(procfile_web_flags()) <= 10


def test_sigterm_closes_every_socket_with_1012_and_the_process_exits_within_its_bound():
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    flags = procfile_web_flags()
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_ENV": "development",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
    }
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "mentoring.config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *flags,
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    sockets = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.1)
        client = Client()
        client.force_login(member())
        cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        for _ in range(3):
            ws = connect(
                f"ws://127.0.0.1:{port}/ws/",
                origin=f"http://127.0.0.1:{port}",
                additional_headers={"Cookie": cookie},
                open_timeout=20,
            )
            assert json.loads(ws.recv(timeout=20))["type"] == "hello"
            sockets.append(ws)

        os.killpg(server.pid, signal.SIGTERM)

        codes = []
        for ws in sockets:
            with pytest.raises(ConnectionClosed):
                while True:
                    ws.recv(timeout=20)
            codes.append(ws.close_code)
        assert codes == [1012, 1012, 1012]  # "service restart": the client reconnects elsewhere
        # exits on its own within its bound (plus start-up slack on a busy machine), no SIGKILL
        server.wait(timeout=graceful_bound(flags) + 20)
        # uvicorn re-raises the SIGTERM it handled once it has shut down cleanly
        assert server.returncode in (0, -signal.SIGTERM)
    finally:
        for ws in sockets:
            ws.close()
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
