"""The README's pictures of Tandem, taken in Chromium from the demo data.

    .venv/bin/python scripts/screenshots.py              # docs/screenshots/*.png
    .venv/bin/python scripts/screenshots.py --base-url http://127.0.0.1:8000  # a running `make run`

Without ``--base-url`` it builds a throw-away SQLite database, runs ``migrate`` and
``seed_demo`` into it, serves it with uvicorn on a free port and stops it afterwards.
Needs Chromium at /usr/bin/chromium (or CHROMIUM_PATH) and Playwright (requirements-dev).
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PASSWORD = "tandem-demo-2026"
MEMBER = "sofia.marques@acme.example"
MANAGER = "amara.okafor@acme.example"
MENTOR = "hiroshi.tanaka@acme.example"  # has the demo's pending invitation

# (file name, who, path or a callable that finds it, viewport width, height)
SHOTS = [
    ("home", MENTOR, "/", 1280, 800),
    ("engagement", MEMBER, "engagement", 1280, 800),
    ("find-mentor", MEMBER, "/mentoring/find/", 1280, 900),
    ("dashboard", MANAGER, "/manage/", 1280, 1000),
    ("home-phone", MENTOR, "/", 390, 844),
    ("engagement-phone", MEMBER, "engagement", 390, 844),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_demo(folder: Path):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'demo.sqlite3'}",
        "CELERY_DATA_DIR": str(folder / "celery"),
        "DJANGO_ENV": "development",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    python = sys.executable
    for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"], ["seed_demo"]):
        subprocess.run(
            [python, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )
    server = subprocess.Popen(
        [
            python,
            "-m",
            "uvicorn",
            "mentoring.config.asgi:application",
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
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                return server, url
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("the demo server did not start within 60 s")


def log_in(context, base_url: str, email: str):
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


def first_engagement(page, base_url: str) -> str:
    page.goto(f"{base_url}/engagements/")
    hrefs = page.locator("main a").evaluate_all("links => links.map(link => link.getAttribute('href'))")
    return next(href for href in hrefs if re.fullmatch(r"/engagements/\d+/", href or ""))


def take(base_url: str, out: Path, only: set[str]) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        pages = {}
        for name, who, where, width, height in SHOTS:
            if only and name not in only:
                continue
            if who not in pages:
                context = browser.new_context(color_scheme="light", device_scale_factor=1)
                pages[who] = log_in(context, base_url, who)
            page = pages[who]
            page.set_viewport_size({"width": width, "height": height})
            path = first_engagement(page, base_url) if where == "engagement" else where
            page.goto(f"{base_url}{path}")
            page.wait_for_load_state("networkidle")
            target = out / f"{name}.png"
            page.screenshot(path=str(target), full_page=False)
            written.append(target)
        browser.close()
    return written


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", help="a running Tandem with the demo data (default: start one)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--only", nargs="*", default=[], help="names of the shots to take")
    args = parser.parse_args()
    server = None
    with tempfile.TemporaryDirectory() as folder:
        if args.base_url:
            base_url = args.base_url.rstrip("/")
        else:
            server, base_url = serve_demo(Path(folder))
        try:
            for path in take(base_url, Path(args.out), set(args.only)):
                print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        finally:
            if server:
                server.terminate()
                server.wait(10)


if __name__ == "__main__":
    main()
