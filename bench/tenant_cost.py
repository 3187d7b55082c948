"""Benchmark: does a workspace's cost depend on other workspaces, and how does it grow?

    DATABASE_URL=postgres://… python bench/tenant_cost.py [--quick] [--growth] [--runs N]

Tenants (always): a scratch database ``<db>_tenant_cost`` with one workspace of
2,000 members (profiles, skills, expertise, trust scores, engagements: the
population of ``bench/matching.py``; 400 network questions with answers). The hot
reads of one of its talent managers are timed (median and p95 of ``--runs``, query
counts):

- ``suggestions``: ``suggest_mentors`` for 20 seekers' needs (skills + text);
- ``routing``: ``messaging.routing.waves.rank_candidates`` for network questions
  (the routing branch's function, measured as it is);
- ``directory_search``: ``directory_profiles(q=…)``, first page and count;
- ``question_search``: ``questions_search(q=…)``, first page and count;
- ``dashboard_overview``: ``dashboard.overview.overview`` for 90 days.

The database is then copied (``CREATE DATABASE … TEMPLATE``: the same rows, the same
ids) and ten times as much data is added to the copy in four other workspaces (20,000
members, 4,000 questions; same builder, ANALYZE). The reads alternate between the two
databases, five rounds of ``--runs``/5 each; at each switch routing's per-process
memories (keyed by the workspace id both databases share) are dropped and every read
runs once untimed, the same for both sides. Target: median with others / median
alone ≤ 1.2 for each.

Growth (``--growth``): one workspace of 500 / 5,000 / 20,000 / 100,000 members (each
in a fresh scratch database), suggestions and routing timed at each size; the growth
exponent is the least-squares slope of log(time) over log(members).

The last line printed is one JSON object (DESIGN §9). Needs PostgreSQL.
"""

import argparse
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_reads import build
from scratch import recreate_database
from ws_common import Bench, emit, load_average, log, percentile

OWN = {"people": 2_000, "mentors": 800, "skills": 60, "requests": 0, "engagements": 600, "questions": 400}
OTHERS = 4  # workspaces of 5,000: ten times OWN's members beside it
OTHER = {
    "people": 5_000,
    "mentors": 2_000,
    "skills": 60,
    "requests": 0,
    "engagements": 1_500,
    "questions": 1_000,
}
GROWTH = (500, 5_000, 20_000, 100_000)
TARGET_RATIO = 1.2
SEARCH = "review design"


def operations(manager, data: dict, rng: random.Random) -> dict:
    """name → a function doing one hot read (a different input each call, cycling)."""
    from itertools import cycle

    from matching import make_requests

    from accounts.access import require_talent_manager
    from accounts.selectors.profiles import directory_profiles
    from dashboard.overview import overview
    from dashboard.period import resolve_period
    from mentoring.engagements.matching import suggest_mentors
    from messaging.models import Question
    from messaging.qa.selectors import questions_search
    from messaging.routing.waves import rank_candidates

    needs = cycle(make_requests(data, 20, rng))
    questions = cycle(list(Question.objects.filter(organization=data["org"]).order_by("pk")[:20]))
    membership = require_talent_manager(manager)
    period = resolve_period(days=90)

    def suggestions():
        need = next(needs)
        return suggest_mentors(
            seeker=need["seeker"], skills=need["skills"], need_text=need["need_text"], limit=10
        )

    def routing():
        return rank_candidates(next(questions))

    def directory_search():
        found = directory_profiles(manager, q=SEARCH.split()[0])
        return list(found[:20]), found.count()

    def question_search():
        found = questions_search(manager, SEARCH)
        return list(found[:20]), found.count()

    def dashboard_overview():
        return overview(membership, period)

    return {
        "suggestions": suggestions,
        "routing": routing,
        "directory_search": directory_search,
        "question_search": question_search,
        "dashboard_overview": dashboard_overview,
    }


def _timed(op, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        op()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _row(times: list[float], queries: int) -> dict:
    return {
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(percentile(times, 95), 2),
        "queries": queries,
    }


def _log_row(label: str, name: str, row: dict) -> None:
    if "error" in row:
        log(f"  {label:12} {name:20} {row['error']}")
    else:
        log(
            f"  {label:12} {name:20} median {row['median_ms']:8.2f} ms  p95 {row['p95_ms']:8.2f} ms  "
            f"{row['queries']} queries"
        )


def _queries(op) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # warm-up
        op()
    with CaptureQueriesContext(connection) as queries:
        op()
    return len(queries.captured_queries)


def measure(ops: dict, runs: int, only=None) -> dict:
    result = {}
    for name, op in ops.items():
        if only and name not in only:
            continue
        try:
            result[name] = _row(_timed(op, runs), _queries(op))
        except Exception as error:  # report it, keep measuring the others
            result[name] = {"error": f"{type(error).__name__}: {error}"}
        _log_row("", name, result[name])
    return result


def _use_database(name: str) -> None:
    from django.db import connections

    connections.close_all()
    connections["default"].settings_dict["NAME"] = name


def _forget_memories() -> None:
    """Drop what routing keeps in memory per workspace id (the prior, the expertise index,
    the question vectors, the tagged questions): both databases hold the same workspace
    id, so without this one side would rank with what the other side read."""
    from messaging.routing import profiles, ranking

    ranking.forget()
    profiles.forget()


def tenants(args, rng) -> dict:
    """The same workspace (same rows, same ids) in two databases, one of them also holding
    ten times as much in other workspaces; every read alternates between the two."""
    import psycopg

    bench = Bench("tenant_cost", keep=args.keep)
    crowded_name = f"{bench.database_name}_crowded"
    try:
        bench.setup()
        started = time.perf_counter()
        managers, data = build(OWN, rng, slug="own", managers=1)
        log(f"[tenant_cost] own workspace ready in {time.perf_counter() - started:.1f} s")
        _use_database(bench.database_name)
        with psycopg.connect(bench.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{crowded_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{crowded_name}" TEMPLATE "{bench.database_name}"')
        _use_database(crowded_name)
        started = time.perf_counter()
        for n in range(OTHERS):
            build(OTHER, rng, slug=f"other{n}", managers=1)
        log(f"[tenant_cost] {OTHERS} other workspaces ready in {time.perf_counter() - started:.1f} s")
        databases = {"alone": bench.database_name, "with_others": crowded_name}
        times = {side: {} for side in databases}
        queries = {side: {} for side in databases}
        errors = {}
        rounds = 5
        for _ in range(rounds):
            for side, database in databases.items():
                _use_database(database)
                _forget_memories()
                ops = operations(managers[0], data, random.Random(args.seed))
                for name, op in ops.items():
                    if name in errors:
                        continue
                    try:
                        if name not in queries[side]:
                            queries[side][name] = _queries(op)
                        else:
                            op()  # warm-up after the switch, untimed, as on the first round
                        times[side].setdefault(name, []).extend(_timed(op, max(1, args.runs // rounds)))
                    except Exception as error:  # report it, keep measuring the others
                        errors[name] = f"{type(error).__name__}: {error}"
        result = {side: {} for side in databases}
        for side in databases:
            for name in ops:
                row = (
                    {"error": errors[name]}
                    if name in errors
                    else _row(times[side][name], queries[side][name])
                )
                result[side][name] = row
                _log_row(side, name, row)
    finally:
        _use_database(bench.database_name)
        bench.cleanup()
        if not args.keep:
            recreate_database(bench.admin_url, crowded_name, drop_only=True)
    alone, crowded = result["alone"], result["with_others"]
    ratios = {
        name: round(crowded[name]["median_ms"] / alone[name]["median_ms"], 2)
        for name in alone
        if "median_ms" in alone[name] and "median_ms" in crowded.get(name, {})
    }
    return {
        "own_members": OWN["people"],
        "other_members": OTHERS * OTHER["people"],
        "alone": alone,
        "with_others": crowded,
        "ratio": ratios,
        "met": bool(ratios) and all(value <= TARGET_RATIO for value in ratios.values()),
    }


def growth(args, rng) -> dict:
    import psycopg
    from scratch import scratch_database

    sizes = [n for n in GROWTH if not args.quick or n <= 20_000]
    _, _, template = scratch_database(os.environ.get("DATABASE_URL", ""), "ws_template")
    rows = {}
    bench = Bench("growth", keep=False)
    try:
        bench.setup()
        for index, members in enumerate(sizes):
            if index:  # a fresh copy of the migrated template for each size
                _use_database("postgres")
                with psycopg.connect(bench.admin_url, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{bench.database_name}" WITH (FORCE)')
                    conn.execute(f'CREATE DATABASE "{bench.database_name}" TEMPLATE "{template}"')
                _use_database(bench.database_name)
            size = {
                "people": members,
                "mentors": members * 2 // 5,
                "skills": 200,
                "requests": 0,
                "engagements": members // 4,
                "questions": 200,
            }
            started = time.perf_counter()
            managers, data = build(size, rng, slug="grow", managers=1)
            log(f"[growth] {members} members ready in {time.perf_counter() - started:.1f} s")
            ops = operations(managers[0], data, random.Random(args.seed))
            rows[members] = measure(ops, args.runs, only={"suggestions", "routing"})
    finally:
        _use_database(bench.database_name)
        bench.cleanup()
    exponents = {}
    for name in ("suggestions", "routing"):
        points = [
            (math.log(n), math.log(row[name]["median_ms"]))
            for n, row in rows.items()
            if "median_ms" in row[name]
        ]
        if len(points) >= 2:
            mean_x = statistics.mean(x for x, _ in points)
            mean_y = statistics.mean(y for _, y in points)
            slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum(
                (x - mean_x) ** 2 for x, _ in points
            )
            exponents[name] = round(slope, 2)
    return {"by_members": {str(n): row for n, row in rows.items()}, "growth_exponent": exponents}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="growth up to 20,000 members only")
    parser.add_argument("--growth", action="store_true", help="also the 500 … 100,000 members growth series")
    parser.add_argument("--growth-only", action="store_true", help="only the growth series")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the two tenant scratch databases")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    load_before = load_average()
    result = {"bench": "tenant_cost", "runs": args.runs}
    if not args.growth_only:
        result["tenants"] = tenants(args, rng)
    if args.growth or args.growth_only:
        result["growth"] = growth(args, rng)
    result.update(
        {
            "target_ratio": TARGET_RATIO,
            "load_before": load_before,
            "load_after": load_average(),
            "cpus": os.cpu_count(),
        }
    )
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
