"""Benchmark: the nightly set-based trust recompute, and event → visible score latency.

    DATABASE_URL=postgres://… REDIS_URL=redis://… python bench/trust_recompute.py [--quick] [--keep]

1. Builds a scratch database ``<your db>_trust_bench`` (dropped at the end unless
   --keep): 50,000 people, 200 skills and 1,000,000 ledger events (quick:
   5,000 / 50 / 100,000), 0.5 % of them voided.
   Each person works in three skills of their own, so competence evidence
   concentrates there (about five score rows per person).
2. Builds every score and its tally with the repair path
   (``recompute_all(from_ledger=True)``: the events were inserted with SQL, not
   through ``record_evidence``), then times the nightly job
   ``trust.services.recompute_all()`` against the raw GROUP BY of the same decayed
   sums over the ledger, in the same run (median of 3 each, after a warm-up).
   The nightly job no longer reads the ledger: it derives every score from the
   per-key tallies that every ledger write keeps current (docs/trust.md §5); the
   baseline stays the ledger GROUP BY it replaces. Target: ratio ≤ 2.0. The
   repair path is timed too (reported, no target), and the two paths must agree
   at the same moment (max relative difference < 1e-9) for the run to pass.
   Then the nightly rater model (``trust.services.raters.raters_refresh``: standing,
   calibration offsets and suspicious patterns over the same ledger, its own beat task
   before the recompute) is timed once and reported beside it (no target of its own).
3. Starts a real ``celery -A mentoring.config worker`` against the scratch database
   and Redis, records evidence through ``record_evidence`` at 10 events/s for
   random people, and measures commit → the new score visible in the database.
   Target: p95 ≤ 1 s.

The last line printed is one JSON object (DESIGN §9). Needs PostgreSQL; the
latency part needs Redis (without REDIS_URL it is reported as not run, and the
benchmark does not pass).
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from scratch import log, recreate_database, scratch_database, setup_django  # noqa: E402

FULL = {"people": 50_000, "skills": 200, "events": 1_000_000, "latency_seconds": 30}
QUICK = {"people": 5_000, "skills": 50, "events": 100_000, "latency_seconds": 10}
SOURCE_KIND = "bench.engagement"


def bench_participants(source_id: str) -> set[int]:
    a, b = source_id.split(":")[:2]
    return {int(a), int(b)}


def build_data(size: dict) -> dict:
    from datetime import timedelta

    from django.db import connection

    from accounts.models import Membership, Organization, Skill, User
    from core import clock
    from trust.models import TrustEvent

    started = time.perf_counter()
    org = Organization.objects.create(name="Bench", slug="bench")
    joined = clock.now() - timedelta(days=800)
    User.objects.bulk_create(
        [
            # accounts older than the year of evidence they carry (the rater model weighs age)
            User(email=f"p{i}@bench.example", full_name=f"Person {i}", password="!", date_joined=joined)
            for i in range(size["people"])
        ],
        batch_size=5000,
    )
    users = list(User.objects.order_by("id").values_list("id", flat=True))
    assert users[-1] - users[0] + 1 == len(users), "fresh database: user ids are contiguous"
    Membership.objects.bulk_create(
        [Membership(user_id=uid, organization=org) for uid in users], batch_size=5000
    )
    Skill.objects.bulk_create(
        [Skill(organization=org, name=f"Skill {i}", slug=f"skill-{i}") for i in range(size["skills"])]
    )
    skills = list(Skill.objects.order_by("id").values_list("id", flat=True))
    table = TrustEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        # dimension by g % 3; about 40 % of the evidence is observed (no actor)
        cursor.execute(
            f"""
            INSERT INTO {table} (organization_id, subject_id, actor_id, dimension, skill_id, skill_key,
                                 outcome, weight, base_weight, weight_note, reciprocal_discounted,
                                 source_kind, source_id, revision, occurred_at, recorded_at, voids_id,
                                 void_reason, voided_by_id)
            SELECT %(org)s, subject, CASE WHEN random() < 0.4 THEN NULL ELSE %(u0)s + (subject - %(u0)s + 1 +
                       floor(random() * (%(n)s - 1))::int) %% %(n)s END,
                   dim, CASE WHEN dim = 'competence' THEN skill END,
                   CASE WHEN dim = 'competence' THEN skill ELSE 0 END,
                   round(random()::numeric, 2)::float8, 1.0, 1.0, '', false, %(kind)s, g::text, 0,
                   now() - random() * interval '365 days', now(), NULL, '', NULL
            FROM (
                SELECT g,
                       %(u0)s + (g %% %(n)s) AS subject,
                       (ARRAY['competence', 'integrity', 'responsiveness'])[1 + g %% 3] AS dim,
                       -- each person works in three skills of their own (competence evidence is about those)
                       %(s0)s + ((g %% %(n)s) * 7 + floor(random() * 3)::int * 13) %% %(ns)s AS skill
                FROM generate_series(1, %(events)s) AS g
            ) src
            """,
            {
                "org": org.pk,
                "u0": users[0],
                "n": len(users),
                "s0": skills[0],
                "ns": len(skills),
                "events": size["events"],
                "kind": SOURCE_KIND,
            },
        )
        # 0.5 % voided through compensating records
        cursor.execute(
            f"""
            INSERT INTO {table} (organization_id, subject_id, actor_id, dimension, skill_id, skill_key,
                                 outcome, weight, base_weight, weight_note, reciprocal_discounted,
                                 source_kind, source_id, revision, occurred_at, recorded_at, voids_id,
                                 void_reason, voided_by_id)
            SELECT organization_id, subject_id, NULL, dimension, skill_id, skill_key, outcome, weight,
                   base_weight, '', false, 'void', id::text, 0, occurred_at, now(), id, 'bench void', NULL
            FROM {table} WHERE id % 200 = 0
            """
        )
        cursor.execute(f"ANALYZE {table}")
    log(
        f"data: {len(users)} people, {len(skills)} skills, {size['events']} events in "
        f"{time.perf_counter() - started:.1f}s"
    )
    return {"org": org, "users": users, "skills": skills}


def baseline_group_by(as_of) -> int:
    """The raw GROUP BY: the same decayed sums per (subject, dimension, skill), fetched, nothing else."""
    from django.db import connection, transaction

    from trust import params
    from trust.models import TrustEvent

    half_life = (
        "CASE dimension "
        + " ".join(f"WHEN '{d}' THEN {h!r}" for d, h in params.HALF_LIFE_DAYS.items())
        + " END"
    )
    age = "GREATEST(date_part('epoch', %s::timestamptz - occurred_at) / 86400.0, 0.0)"
    decay = f"POWER(2.0::float8, -{age} / ({half_life}))"
    sql = f"""
        SELECT subject_id, dimension, skill_key,
               SUM(weight * outcome * {decay}), SUM(weight * (1.0 - outcome) * {decay}), COUNT(*)
        FROM {TrustEvent._meta.db_table}
        GROUP BY subject_id, dimension, skill_key
    """
    with transaction.atomic(), connection.cursor() as cursor:
        # the same session settings the recompute job uses, so only the work differs
        cursor.execute(f"SET LOCAL work_mem = '{params.RECOMPUTE_WORK_MEM}'")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, [as_of, as_of])
        return len(cursor.fetchall())


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def _score_columns() -> dict:
    from django.db import connection

    from trust.models import TrustScore

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, alpha, beta, mean, lower, upper, good_at_last, bad_at_last "
            f"FROM {TrustScore._meta.db_table} ORDER BY id"
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}


def measure_recompute(runs: int = 3) -> dict:
    from core import clock
    from trust import services
    from trust.models import TrustScore

    # The events were inserted with SQL, not through record_evidence: the repair path
    # (everything from the ledger) builds the tallies, as the migration does on deploy.
    first, written = timed(services.recompute_all, from_ledger=True)
    log(f"first recompute from the ledger (insert {written} scores with their tallies): {first:.2f}s")
    baseline_times, nightly_times, ledger_times = [], [], []
    timed(baseline_group_by, clock.now())  # warm-up
    timed(services.recompute_all)
    for _ in range(runs):
        baseline_times.append(timed(baseline_group_by, clock.now())[0])
        nightly_times.append(timed(services.recompute_all)[0])
        ledger_times.append(timed(services.recompute_all, from_ledger=True)[0])
    baseline, nightly = statistics.median(baseline_times), statistics.median(nightly_times)
    ledger = statistics.median(ledger_times)

    def runs_text(times):
        return ", ".join(f"{t:.2f}" for t in times)

    log(f"raw GROUP BY: {baseline:.2f}s (runs {runs_text(baseline_times)})")
    log(f"nightly recompute (from tallies): {nightly:.2f}s (runs {runs_text(nightly_times)})")
    log(f"full recompute from the ledger (repair path): {ledger:.2f}s (runs {runs_text(ledger_times)})")
    # the nightly path and the repair path agree at the same moment
    as_of = clock.now()
    services.recompute_all(as_of=as_of)
    nightly_scores = _score_columns()
    services.recompute_all(as_of=as_of, from_ledger=True)
    ledger_scores = _score_columns()
    assert nightly_scores.keys() == ledger_scores.keys(), "the two paths produced different score rows"
    worst = 0.0
    for pk, row in ledger_scores.items():
        for a, b in zip(nightly_scores[pk], row, strict=True):
            worst = max(worst, abs(a - b) / max(abs(b), 1e-12))
    log(f"nightly vs from-ledger at the same moment: max relative difference {worst:.2e}")
    return {
        "baseline": baseline,
        "full": nightly,
        "from_ledger": ledger,
        "first_full": first,
        "max_rel_diff": worst,
        "scores": TrustScore.objects.count(),
    }


def start_worker(scratch_url: str, tmp: Path) -> tuple[subprocess.Popen, Path]:
    env = {k: v for k, v in os.environ.items() if k not in {"CELERY_TASK_ALWAYS_EAGER"}}
    env.update(
        DATABASE_URL=scratch_url, DJANGO_ENV="development", DEBUG="0", PYTHONUNBUFFERED="1", DB_POOL="0"
    )
    log_path = tmp / "worker.log"
    with open(log_path, "w") as out:
        worker = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "mentoring.config", "worker"),
                *("--pool", "threads", "--concurrency", "4", "--loglevel", "WARNING"),
                *("--queues", "trust-bench", "--without-gossip", "--without-mingle", "--without-heartbeat"),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return worker, log_path


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is not None:
        return
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def measure_latency(scratch_url: str, data: dict, seconds: int, rate: float = 10.0) -> dict:
    import random

    from django.utils import timezone

    from accounts.models import User
    from mentoring.config.celery import app
    from trust import services, sources
    from trust.models import TrustScore

    sources.register_source(SOURCE_KIND, participants=bench_participants)
    app.conf.task_always_eager = False
    app.conf.task_routes = {"trust.recompute_subject": {"queue": "trust-bench"}}
    rng = random.Random(7)
    users = data["users"]
    with tempfile.TemporaryDirectory() as tmp:
        worker, log_path = start_worker(scratch_url, Path(tmp))
        try:
            # warm-up: wait until the worker answers one recompute
            warm = User.objects.get(pk=users[0])
            services.record_evidence(
                subject=warm,
                actor=User.objects.get(pk=users[1]),
                dimension="integrity",
                outcome=1.0,
                source_kind=SOURCE_KIND,
                source_id=f"{users[1]}:{users[0]}:warm",
            )
            committed_at = timezone.now()
            deadline = time.monotonic() + 60
            while not TrustScore.objects.filter(subject_id=users[0], computed_at__gte=committed_at).exists():
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the worker did not start:\n" + log_path.read_text())
                time.sleep(0.05)

            pending: dict[int, tuple] = {}
            latencies: list[float] = []
            interval = 1.0 / rate
            total = int(seconds * rate)
            next_at = time.perf_counter()
            for i in range(total):
                subject_id, actor_id = rng.sample(users, 2)
                subject, actor = User(pk=subject_id), User(pk=actor_id)
                services.record_evidence(
                    subject=subject,
                    actor=actor,
                    dimension="responsiveness",
                    outcome=rng.random(),
                    source_kind=SOURCE_KIND,
                    source_id=f"{actor_id}:{subject_id}:{i}",
                )
                pending[i] = (subject_id, timezone.now(), time.perf_counter())
                next_at += interval
                while True:  # poll until it is time for the next event
                    _poll(pending, latencies)
                    if time.perf_counter() >= next_at:
                        break
                    time.sleep(0.01)
            deadline = time.monotonic() + 30
            while pending and time.monotonic() < deadline:
                _poll(pending, latencies)
                time.sleep(0.01)
            lost = len(pending)
        finally:
            stop_worker(worker)
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("inf")
    p50 = latencies[len(latencies) // 2] if latencies else float("inf")
    log(
        f"latency over {len(latencies)} events at {rate:g}/s: p50 {p50:.3f}s, p95 {p95:.3f}s, "
        f"max {latencies[-1] if latencies else float('inf'):.3f}s, never visible: {lost}"
    )
    return {"p50": p50, "p95": p95 if not lost else float("inf"), "events": len(latencies), "lost": lost}


def _poll(pending: dict, latencies: list) -> None:
    from trust.models import TrustScore

    if not pending:
        return
    subjects = {subject for subject, _, _ in pending.values()}
    computed = dict(
        TrustScore.objects.filter(subject_id__in=subjects, dimension="responsiveness").values_list(
            "subject_id", "computed_at"
        )
    )
    seen = time.perf_counter()
    for key, (subject_id, committed_at, committed_perf) in list(pending.items()):
        computed_at = computed.get(subject_id)
        if computed_at is not None and computed_at >= committed_at:
            latencies.append(seen - committed_perf)
            del pending[key]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller data, under a minute")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    size = QUICK if args.quick else FULL
    base_url = os.environ.get("DATABASE_URL", "")
    result = {"bench": "trust_recompute", "metric": "nightly_recompute_s / raw_group_by_s", "target": 2.0}
    if not base_url.startswith(("postgres://", "postgresql://")):
        log("DATABASE_URL must point at PostgreSQL (the scratch database is created next to it).")
        print(json.dumps({**result, "value": None, "baseline": None, "ratio": None, "pass": False}))
        sys.exit(1)
    admin_url, scratch_url, name = scratch_database(base_url, "trust_bench")
    recreate_database(admin_url, name)
    try:
        setup_django(scratch_url)  # every app: the trust tables refer to accounts (MFA policy) and others
        data = build_data(size)
        recompute = measure_recompute()
        # the nightly rater model (standing, offsets, patterns) runs before the recompute as its
        # own task; timed once, reported next to the recompute (no target of its own)
        from trust.services.raters import raters_refresh

        raters_s, raters_written = timed(raters_refresh)
        log(f"raters_refresh (standing, calibration, patterns; {raters_written} raters): {raters_s:.2f}s")
        if os.environ.get("REDIS_URL"):
            latency = measure_latency(scratch_url, data, size["latency_seconds"])
        else:
            log("REDIS_URL is not set: the latency part needs Redis as the broker; not run.")
            latency = {"p50": None, "p95": None, "events": 0, "lost": 0}
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            recreate_database(admin_url, name, drop_only=True)
    ratio = recompute["full"] / recompute["baseline"]
    latency_ok = latency["p95"] is not None and latency["p95"] <= 1.0
    result.update(
        value=round(recompute["full"], 3),
        baseline=round(recompute["baseline"], 3),
        ratio=round(ratio, 3),
        passed=None,
    )
    result.pop("passed")
    result["pass"] = bool(ratio <= 2.0 and latency_ok and recompute["max_rel_diff"] < 1e-9)
    result["size"] = {k: size[k] for k in ("people", "skills", "events")}
    result["scores"] = recompute["scores"]
    result["first_full_s"] = round(recompute["first_full"], 3)
    result["from_ledger_s"] = round(recompute["from_ledger"], 3)
    result["from_ledger_ratio"] = round(recompute["from_ledger"] / recompute["baseline"], 3)
    result["nightly_vs_ledger_max_rel_diff"] = recompute["max_rel_diff"]
    result["raters_refresh_s"] = round(raters_s, 3)
    result["raters_refresh_ratio"] = round(raters_s / recompute["baseline"], 3)
    result["nightly_plus_raters_ratio"] = round((recompute["full"] + raters_s) / recompute["baseline"], 3)
    result["latency_p50_s"] = None if latency["p50"] is None else round(latency["p50"], 3)
    result["latency_p95_s"] = None if latency["p95"] is None else round(latency["p95"], 3)
    result["latency_target_s"] = 1.0
    result["latency_events"] = latency["events"]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
