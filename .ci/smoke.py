"""Smoke test of a running `make run` (the embedded default): HTTP, login, WebSocket.

Usage: python .ci/smoke.py BASE_URL RUN_LOG
- waits (bounded) for GET /healthz 200 and GET /accounts/signup/ 200, and for
  the worker's and beat's start lines in the log;
- reads a demo login from the `make run` log (seed_demo prints them);
- logs in through the allauth login form like a browser (cookies + CSRF);
- opens /ws/ with that session cookie and the site's Origin, sends ping, expects pong.
Exits non-zero with a reason on the first failure. Standard library + `websockets`.
"""

import asyncio
import http.cookiejar
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import websockets

START_DEADLINE = 420  # seconds: covers migrate + seed_demo + three processes on 2 cores


def fail(message: str) -> None:
    print(f"SMOKE FAIL: {message}", flush=True)
    sys.exit(1)


def wait_for(opener, url: str, deadline: float) -> bytes:
    last = "no answer yet"
    while time.monotonic() < deadline:
        try:
            with opener.open(url, timeout=10) as response:
                if response.status == 200:
                    return response.read()
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}: {exc.read()[:300]!r}"
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            last = str(exc)
        time.sleep(1)
    fail(f"{url} did not answer 200 in time (last: {last})")
    return b""


def demo_login(run_log: Path, deadline: float) -> tuple[str, str]:
    while time.monotonic() < deadline:
        text = run_log.read_text(errors="replace") if run_log.exists() else ""
        password = re.search(r"Every demo login uses the password: (\S+)", text)
        email = re.search(r"talent manager\s+(\S+@\S+)", text)
        if password and email:
            return email.group(1), password.group(1)
        time.sleep(1)
    fail(f"no demo login printed in {run_log}")
    return "", ""


def wait_for_log(run_log: Path, pattern: str, what: str, deadline: float) -> str:
    while time.monotonic() < deadline:
        text = run_log.read_text(errors="replace") if run_log.exists() else ""
        found = re.search(pattern, text)
        if found:
            return found.group(0)
        time.sleep(1)
    fail(f"{what} never showed up in {run_log}")
    return ""


def log_in(opener, jar, base: str, email: str, password: str) -> str:
    login_url = f"{base}/accounts/login/"
    with opener.open(login_url, timeout=30) as response:
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not token:
        fail("the login page has no CSRF token")
    form = urllib.parse.urlencode(
        {"login": email, "password": password, "csrfmiddlewaretoken": token.group(1)}
    ).encode()
    # the base URL is our own http://127.0.0.1:<port> given by .ci/run
    request = urllib.request.Request(  # noqa: S310
        login_url, data=form, headers={"Referer": login_url, "Origin": base}
    )
    with opener.open(request, timeout=30) as response:
        response.read()
    session = next((cookie.value for cookie in jar if cookie.name == "sessionid"), None)
    if not session:
        fail(f"logging in as {email} gave no session cookie")
    return session


async def ping_over_socket(base: str, session: str) -> list[dict]:
    url = base.replace("http://", "ws://") + "/ws/"
    async with websockets.connect(
        url, origin=base, additional_headers={"Cookie": f"sessionid={session}"}, open_timeout=30
    ) as socket:
        hello = json.loads(await asyncio.wait_for(socket.recv(), 30))
        await socket.send(json.dumps({"type": "ping", "ref": "smoke"}))
        pong = json.loads(await asyncio.wait_for(socket.recv(), 30))
    return [hello, pong]


def main() -> None:
    base, run_log = sys.argv[1].rstrip("/"), Path(sys.argv[2])
    deadline = time.monotonic() + START_DEADLINE
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    health = json.loads(wait_for(opener, f"{base}/healthz", deadline))
    print(f"smoke: /healthz 200 {json.dumps(health['checks'])}")
    wait_for(opener, f"{base}/accounts/signup/", deadline)
    print("smoke: /accounts/signup/ 200")

    print("smoke: " + wait_for_log(run_log, r"celery@\S+ ready\.", "the Celery worker", deadline))
    print("smoke: " + wait_for_log(run_log, r"beat: Starting\.\.\.", "Celery beat", deadline))
    email, password = demo_login(run_log, deadline)
    session = log_in(opener, jar, base, email, password)
    print(f"smoke: logged in as {email}")

    hello, pong = asyncio.run(ping_over_socket(base, session))
    if hello.get("type") != "hello" or pong != {"type": "pong", "ref": "smoke"}:
        fail(f"unexpected frames over /ws/: {hello} {pong}")
    print(f"smoke: /ws/ hello for user {hello.get('user')}, ping -> pong")
    print("smoke: OK")


if __name__ == "__main__":
    main()
