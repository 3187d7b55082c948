"""Upgrade check: a database made and seeded by an older commit migrates to this code, row for row.

Usage: python .ci/upgrade_check.py [--base COMMIT] [--database NAME] [--server URL] [--keep]

1. `git worktree add` a temporary checkout of the base commit (default 50c2801, the last
   commit before the re-layout into core/accounts/trust/messaging/mentoring/dashboard);
2. creates a fresh PostgreSQL database (dropped first if it exists);
3. runs the base code's `manage.py migrate` and `manage.py seed_demo` against it;
4. counts the rows of every table in the public schema;
5. runs this code's `manage.py migrate` against the same database and counts again;
6. fails with a table-by-table diff if a table disappeared or any application table's
   count changed. Django's bookkeeping tables (django_migrations, django_content_type,
   auth_permission) may gain rows for migrations and models added since the base, but
   every base row must still be there under the same natural key, and a content type
   added for a model name the base already had under another app label fails the check
   (that is a model moved to another app instead of kept in place); then runs this
   code's `manage.py makemigrations --check --dry-run` on the upgraded database;
7. removes the worktree and drops the database (unless --keep), also on failure.

Both checkouts run with this interpreter (the project's virtualenv), with DJANGO_ENV=
development and no REDIS_URL: seeding needs only the database (tasks it enqueues land in
the base checkout's filesystem broker and are removed with it). The database name comes
from --database, else UPGRADE_CHECK_DB, else `tandem_upgrade_check`; the server from
--server, else UPGRADE_CHECK_SERVER, else postgres://postgres@127.0.0.1:5432. Exit 0
when every row survived the upgrade, 1 when not, 2 on a usage or setup error.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASE = "50c2801"
DEFAULT_DATABASE = "tandem_upgrade_check"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
STEP_TIMEOUT = 900  # seconds for one manage.py command (seed_demo is the slow one)


class CheckFailed(Exception):
    pass


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=DEFAULT_BASE, help=f"the older commit (default {DEFAULT_BASE})")
    parser.add_argument("--database", default=os.environ.get("UPGRADE_CHECK_DB", DEFAULT_DATABASE))
    parser.add_argument("--server", default=os.environ.get("UPGRADE_CHECK_SERVER", DEFAULT_SERVER))
    parser.add_argument("--keep", action="store_true", help="keep the database and the worktree")
    return parser.parse_args()


def log(message: str) -> None:
    print(f"upgrade-check: {message}", flush=True)


def git(*args: str, check: bool = True) -> str:
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise CheckFailed(f"git {' '.join(args)} failed:\n{result.stderr.strip()}")
    return result.stdout.strip()


def admin_connection(server: str) -> psycopg.Connection:
    return psycopg.connect(f"{server}/postgres", autocommit=True)


def database_create(server: str, name: str) -> None:
    with admin_connection(server) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_drop(server: str, name: str) -> None:
    with admin_connection(server) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def row_counts(database_url: str) -> dict[str, int]:
    """Rows of every base table in the public schema, read straight from PostgreSQL."""
    with psycopg.connect(database_url) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
            )
        ]
        return {
            table: connection.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("public", table))
            ).fetchone()[0]
            for table in tables
        }


def manage(checkout: Path, database_url: str, *args: str) -> str:
    """Run `manage.py ARGS` of the given checkout; its output, or CheckFailed with it."""
    dropped = {"DJANGO_SETTINGS_MODULE", "PYTHONPATH", "REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL"}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env.update(DATABASE_URL=database_url, DJANGO_ENV="development", PYTHONDONTWRITEBYTECODE="1")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        check=False,
    )
    output = result.stdout + result.stderr
    where = "base" if checkout != ROOT else "current"
    if result.returncode != 0:
        raise CheckFailed(f"{where} code: manage.py {' '.join(args)} exited {result.returncode}:\n{output}")
    log(f"{where} code: manage.py {' '.join(args)} ok ({time.monotonic() - started:.0f}s)")
    return output


# Django's own tables, which grow with every new migration and model: compared by natural key
BOOKKEEPING_KEYS = {
    "django_migrations": "SELECT app, name FROM django_migrations",
    "django_content_type": "SELECT id, app_label, model FROM django_content_type",
    "auth_permission": (
        "SELECT ct.app_label, ct.model, p.codename FROM auth_permission p"
        " JOIN django_content_type ct ON ct.id = p.content_type_id"
    ),
}


def bookkeeping_rows(database_url: str) -> dict[str, set[tuple]]:
    with psycopg.connect(database_url) as connection:
        return {table: set(connection.execute(query).fetchall()) for table, query in BOOKKEEPING_KEYS.items()}


def compare(before: dict[str, int], after: dict[str, int]) -> list[str]:
    problems = []
    for table, rows in before.items():
        if table not in after:
            problems.append(f"  {table:<45} {rows:>8} -> (table gone)")
        elif after[table] != rows and table not in BOOKKEEPING_KEYS:
            problems.append(f"  {table:<45} {rows:>8} -> {after[table]:<8} ({after[table] - rows:+d})")
    return problems


Keys = dict[str, set[tuple]]


def compare_bookkeeping(before: Keys, after: Keys) -> tuple[list[str], list[str]]:
    """(problems, additions): base rows gone or a model moved between app labels; rows added."""
    problems, additions = [], []
    for table in BOOKKEEPING_KEYS:
        gone, added = before[table] - after[table], after[table] - before[table]
        problems += [f"  {table}: base row gone: {row}" for row in sorted(gone, key=str)]
        if added:
            additions.append(f"{table} +{len(added)}")
    base_models = {(app, model) for _, app, model in before["django_content_type"]}
    base_names = {model: app for app, model in base_models}
    for _, app, model in sorted(after["django_content_type"] - before["django_content_type"], key=str):
        if model in base_names and (app, model) not in base_models:
            moved = f"{app}.{model} added, the base had {base_names[model]}.{model}"
            problems.append(f"  django_content_type: {moved}")
    return problems, additions


def run(args: argparse.Namespace, workdir: Path) -> None:
    base = git("rev-parse", "--verify", f"{args.base}^{{commit}}")
    head = git("rev-parse", "HEAD")
    log(f"base {base[:12]} ({git('log', '-1', '--format=%s', base)[:70]})")
    log(f"current {head[:12]} (working tree of {ROOT})")
    checkout = workdir / "base"
    git("worktree", "add", "--detach", "--quiet", str(checkout), base)

    database_url = f"{args.server.rstrip('/')}/{args.database}"
    database_create(args.server, args.database)
    log(f"fresh database {args.database}")

    manage(checkout, database_url, "migrate", "--noinput")
    seeded = manage(checkout, database_url, "seed_demo")
    before = row_counts(database_url)
    before_keys = bookkeeping_rows(database_url)
    log(f"after the base code's migrate + seed_demo: {len(before)} tables, {sum(before.values())} rows")
    if sum(rows for table, rows in before.items() if not table.startswith(("django_", "auth_"))) == 0:
        raise CheckFailed(f"seed_demo left every application table empty:\n{seeded}")

    manage(ROOT, database_url, "migrate", "--noinput")
    after = row_counts(database_url)
    after_keys = bookkeeping_rows(database_url)
    log(f"after the current code's migrate: {len(after)} tables, {sum(after.values())} rows")
    new_tables = sorted(set(after) - set(before))
    if new_tables:
        log("new tables (allowed, listed for the record): " + ", ".join(new_tables))
    key_problems, additions = compare_bookkeeping(before_keys, after_keys)
    if additions:
        log("bookkeeping rows added for new migrations and models (allowed): " + ", ".join(additions))
    problems = compare(before, after) + key_problems
    if problems:
        header = f"  {'table':<45} {'base':>8} -> current"
        raise CheckFailed("rows changed in the upgrade:\n" + "\n".join([header, *problems]))
    log(f"every table kept its rows ({len(before)} tables compared)")

    output = manage(ROOT, database_url, "makemigrations", "--check", "--dry-run")
    log(output.strip().splitlines()[-1] if output.strip() else "makemigrations --check: no output")


def cleanup(args: argparse.Namespace, workdir: Path) -> None:
    checkout = workdir / "base"
    if checkout.exists():
        git("worktree", "remove", "--force", str(checkout), check=False)
    git("worktree", "prune", check=False)
    shutil.rmtree(workdir, ignore_errors=True)
    try:
        database_drop(args.server, args.database)
    except psycopg.Error as exc:
        log(f"could not drop {args.database}: {exc}")


def main() -> int:
    args = parse_args()
    # SIGTERM (a CI time-out, Ctrl-C from a parent) still reaches the cleanup below
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(2))
    workdir = Path(tempfile.mkdtemp(prefix="tandem-upgrade-"))
    started = time.monotonic()
    try:
        run(args, workdir)
    except CheckFailed as exc:
        print(f"UPGRADE CHECK FAILED: {exc}", flush=True)
        return 1
    except (psycopg.Error, subprocess.TimeoutExpired) as exc:
        print(f"UPGRADE CHECK FAILED: {exc}", flush=True)
        return 2
    finally:
        if args.keep:
            log(f"kept database {args.database} and worktree {workdir / 'base'}")
        else:
            cleanup(args, workdir)
    log(f"OK in {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
