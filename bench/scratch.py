"""What every benchmark needs: a scratch PostgreSQL database next to the
configured one, Django set up against it, a p95, and logging to stderr (the
last line of stdout is reserved for the benchmark's JSON)."""

import os
import statistics
import sys
from urllib.parse import urlsplit, urlunsplit


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94]


def scratch_database(base_url: str, suffix: str) -> tuple[str, str, str]:
    """(admin url, scratch url, scratch name) for ``<configured name>_<suffix>``."""
    parts = urlsplit(base_url)
    name = f"{parts.path.lstrip('/') or 'tandem'}_{suffix}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    scratch = urlunsplit(parts._replace(path=f"/{name}"))
    return admin, scratch, name


def recreate_database(admin_url: str, name: str, *, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(database_url: str, *, migrate: tuple[str, ...] = (), env: dict | None = None) -> None:
    """Point Django at ``database_url`` (no pool, no debug) and migrate it
    (``migrate`` names apps to migrate; all of them when empty)."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentoring.config.settings")
    os.environ["DJANGO_ENV"] = "development"
    os.environ["DEBUG"] = "0"
    os.environ["DB_POOL"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    for key, value in (env or {}).items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", *migrate, verbosity=0)
    from core import process

    process.settle()  # as the web and worker processes do once they have loaded
