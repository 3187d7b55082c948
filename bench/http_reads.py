"""Benchmark: the main read endpoints and pages against a trivial view, 1 and N processes.

    DATABASE_URL=postgres://… REDIS_URL=redis://… python bench/http_reads.py [--quick] [--processes N]

1. A scratch database ``<db>_http_reads`` next to DATABASE_URL with one workspace of
   2,000 members (profiles, skills, expertise, trust scores, engagements: the
   population of ``bench/matching.py``), 400 network questions with skills and
   answers, and 16 talent managers whose real sessions the clients use (one per
   connection, so no person's rate limit is shared).
2. The servers: ``uvicorn http_asgi:application`` (the product's ASGI app plus one
   baseline URL, ``/bench/trivial``: the whole middleware stack, the session and the
   signed-in user, then "ok") with production settings, Redis cache and channel layer,
   ``--workers 1`` and then ``--workers N`` (default: the machine's cores), behind one port.
3. Interleaved: in each round, for each endpoint, the trivial view and then the
   endpoint, each for ``--seconds`` with the same ``--concurrency`` keep-alive
   connections; every response must be 200. Ratio = endpoint requests/s over the
   trivial view's requests/s in the same rounds; p95 ratio likewise.
4. Queries per request of each endpoint, counted in this process through Django's test
   client (the same views, settings and data).

Targets: every endpoint ≥ 0.5× the trivial view's throughput and p95 ≤ 3× its p95,
at the same concurrency and process count. The last line printed is one JSON object.
"""

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ws_common import HOST, PORT_BASE, Bench, emit, load_average, log, percentile, session_cookies

ENDPOINTS = {
    "api_me": "/api/me",
    "api_profiles": "/api/profiles",
    "api_questions": "/api/questions",
    "api_questions_search": "/api/questions?q=review+design",
    "api_manage_overview": "/api/manage/overview",
    "directory": "/people/",
    "questions_page": "/questions/",
    "dashboard": "/manage/",
    "home": "/",
}
TRIVIAL = "/bench/trivial"
TARGET_RATIO = 0.5
TARGET_P95_RATIO = 3.0
MANAGERS = 16
FULL = {"people": 2_000, "mentors": 800, "skills": 60, "requests": 0, "engagements": 600, "questions": 400}


# --- population ------------------------------------------------------------------


def build(
    size: dict, rng: random.Random, *, slug: str = "bench", managers: int = MANAGERS
) -> tuple[list, dict]:
    """A workspace (through bench/matching.py's builder) with network questions (two
    skills each, 0–3 answers): ``(its first ``managers`` people made talent managers,
    the builder's data)``."""
    from django.db import connection
    from matching import WORDS, build_data

    from accounts.models import Membership, User
    from core.markdown import render_markdown
    from messaging.models import Answer, Question

    data = build_data(size, rng, slug=slug)
    org = data["org"]
    users = list(
        User.objects.filter(membership__organization=org).order_by("id").values_list("id", flat=True)
    )
    managers = users[:managers]
    Membership.objects.filter(user_id__in=managers).update(role=Membership.Role.TALENT_MANAGER)
    questions = Question.objects.bulk_create(
        [
            Question(
                organization=org,
                author_id=rng.choice(users),
                title=" ".join(rng.choice(WORDS) for _ in range(6)),
                body=(body := " ".join(rng.choice(WORDS) for _ in range(40))),
                body_html=render_markdown(body),
                scope=Question.Scope.NETWORK,
            )
            for _ in range(size["questions"])
        ]
    )
    through = Question.skills.through
    through.objects.bulk_create(
        [
            through(question_id=q.pk, skill_id=skill)
            for q in questions
            for skill in rng.sample(data["skills"], 2)
        ]
    )
    Answer.objects.bulk_create(
        [
            Answer(
                question=q,
                author_id=rng.choice(users),
                body=(b := " ".join(rng.choice(WORDS) for _ in range(25))),
                body_html=render_markdown(b),
            )
            for q in questions
            for _ in range(rng.randint(0, 3))
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return list(User.objects.filter(pk__in=managers).order_by("pk")), data


def query_counts(manager) -> dict:
    import http_asgi  # noqa: F401  (the trivial view's URL, here too)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=HOST)
    client.force_login(manager)
    counts = {}
    for name, url in {"trivial": TRIVIAL, **ENDPOINTS}.items():
        client.get(url)  # warm caches the way a running server has them
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code} in the test client")
        counts[name] = len(queries)
    return counts


# --- the client ------------------------------------------------------------------


async def _request(reader, writer, raw: bytes) -> int:
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, chunked = None, False
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        key = key.strip().lower()
        if key == b"content-length":
            length = int(value)
        elif key == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if length is not None:
        await reader.readexactly(length)
    elif chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def burst(port: int, path: str, cookies: list[str], seconds: float) -> dict:
    """``len(cookies)`` keep-alive connections, each sending ``path`` back to back for
    ``seconds``: requests/s and latencies. Any status but 200 is an error."""
    from django.conf import settings

    latencies: list[float] = []
    errors: list[int] = []

    async def one(cookie: str, deadline: float):
        reader, writer = await asyncio.open_connection(HOST, port)
        raw = (
            f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
            f"Cookie: {settings.SESSION_COOKIE_NAME}={cookie}\r\nAccept: */*\r\n\r\n"
        ).encode()
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                status = await _request(reader, writer, raw)
                latencies.append(time.perf_counter() - started)
                if status != 200:
                    errors.append(status)
        finally:
            writer.close()

    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(one(cookie, deadline) for cookie in cookies))
    elapsed = time.perf_counter() - started
    return {"n": len(latencies), "elapsed": elapsed, "latencies": latencies, "errors": errors}


async def measure(port: int, cookies: list[str], rounds: int, seconds: float, rng: random.Random) -> dict:
    names = list(ENDPOINTS)
    pairs: dict[str, dict[str, list]] = {name: {"trivial": [], "endpoint": []} for name in names}
    for path in [TRIVIAL, *ENDPOINTS.values()]:  # warm-up: imports, caches, pools
        await burst(port, path, cookies, 0.5)
    for round_no in range(rounds):
        rng.shuffle(names)
        for name in names:
            pairs[name]["trivial"].append(await burst(port, TRIVIAL, cookies, seconds))
            pairs[name]["endpoint"].append(await burst(port, ENDPOINTS[name], cookies, seconds))
        log(f"  round {round_no + 1}/{rounds} done (load {load_average()})")
    result = {}
    trivial_all = []
    for name in ENDPOINTS:
        sides = {}
        for side, runs in pairs[name].items():
            latencies = [value for run in runs for value in run["latencies"]]
            errors = [status for run in runs for status in run["errors"]]
            if errors:
                raise SystemExit(f"{side} of {name}: {len(errors)} responses were not 200 ({errors[:5]})")
            sides[side] = {
                "rps": sum(run["n"] for run in runs) / sum(run["elapsed"] for run in runs),
                "p95": percentile(latencies, 95),
            }
            if side == "trivial":
                trivial_all += latencies
        result[name] = {
            "rps": round(sides["endpoint"]["rps"], 1),
            "trivial_rps": round(sides["trivial"]["rps"], 1),
            "ratio": round(sides["endpoint"]["rps"] / sides["trivial"]["rps"], 3),
            "p95_ms": round(sides["endpoint"]["p95"] * 1000, 1),
            "trivial_p95_ms": round(sides["trivial"]["p95"] * 1000, 1),
            "p95_ratio": round(sides["endpoint"]["p95"] / sides["trivial"]["p95"], 2),
        }
    trivial_rps = statistics.mean(result[name]["trivial_rps"] for name in result)
    return {
        "trivial_rps": round(trivial_rps, 1),
        "trivial_p95_ms": round(percentile(trivial_all, 95) * 1000, 1),
        "endpoints": result,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="one round of 1 s per endpoint")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1, help="N (default: the cores)")
    parser.add_argument("--concurrency", type=int, default=MANAGERS, help=f"connections (≤ {MANAGERS})")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=1.5, help="per burst")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds = 1, 1.0
    rng = random.Random(args.seed)
    bench = Bench("http_reads", keep=args.keep)
    load_before = load_average()
    try:
        bench.setup()
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)  # production pages need the manifest
        started = time.perf_counter()
        managers, _ = build(FULL, rng)
        log(f"[http_reads] population ready in {time.perf_counter() - started:.1f} s")
        cookies = list(session_cookies(managers).values())[: args.concurrency]
        counts = query_counts(managers[0])
        log(f"[http_reads] queries per request: {counts}")
        from django.db import connections

        connections.close_all()
        by_processes = {}
        for processes in sorted({1, args.processes}):
            port = PORT_BASE + 40 + processes
            log(f"[http_reads] {processes} process(es) on port {port}")
            servers = bench.start_servers(
                "http_asgi:application",
                [port],
                workers=processes,
                API_RATE_USER="1000000/min",
                DB_POOL="1",  # production default (this process runs without a pool)
                DB_POOL_MAX="8",
            )
            time.sleep(1.0 + processes)  # --workers: the children start after the port opens
            by_processes[str(processes)] = asyncio.run(measure(port, cookies, args.rounds, args.seconds, rng))
            for server in servers:
                server.stop()
            bench.servers.clear()
        for key, run in by_processes.items():
            run["trivial_queries"] = counts["trivial"]
            for name, row in run["endpoints"].items():
                row["queries"] = counts[name]
                log(
                    f"  {key}p {name:22} {row['rps']:7.1f} req/s  ratio {row['ratio']:.2f}  "
                    f"p95 {row['p95_ms']:6.1f} ms ({row['p95_ratio']:.2f}×)  {row['queries']} queries"
                )
        worst = {
            key: {
                "ratio": min(row["ratio"] for row in run["endpoints"].values()),
                "p95_ratio": max(row["p95_ratio"] for row in run["endpoints"].values()),
            }
            for key, run in by_processes.items()
        }
        one, many = by_processes["1"], by_processes[str(args.processes)]
        emit(
            {
                "bench": "http_reads",
                "members": FULL["people"],
                "concurrency": len(cookies),
                "processes": args.processes,
                "rounds": args.rounds,
                "seconds_per_burst": args.seconds,
                "runs": by_processes,
                "scaling_trivial": round(many["trivial_rps"] / one["trivial_rps"], 2),
                "scaling_endpoints": round(
                    statistics.mean(
                        many["endpoints"][n]["rps"] / one["endpoints"][n]["rps"] for n in ENDPOINTS
                    ),
                    2,
                ),
                "worst": worst,
                "targets": {"ratio": TARGET_RATIO, "p95_ratio": TARGET_P95_RATIO},
                "met": all(
                    w["ratio"] >= TARGET_RATIO and w["p95_ratio"] <= TARGET_P95_RATIO for w in worst.values()
                ),
                "load_before": load_before,
                "load_after": load_average(),
                "cpus": os.cpu_count(),
            }
        )
    finally:
        bench.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
