"""Benchmark: top-10 mentor suggestions on a large workspace, against the bare indexed query.

    DATABASE_URL=postgres://… python bench/matching.py [--quick] [--keep]

1. Builds a scratch database ``<your db>_matching_bench`` next to DATABASE_URL
   (dropped at the end unless --keep): one workspace of 20,000 people, 10,000
   of them open to mentoring (5 % away), 200 skills with a skewed popularity,
   three to five expertise rows per mentor, headlines and bios with real words,
   working hours in twelve time zones, trust scores (competence per skill and
   responsiveness) for 60 % of the mentors, and 4,000 active engagements that
   occupy capacity. Quick: 5,000 people / 2,500 mentors / 50 skills.
2. For 200 different requests (1–3 skills and a need text; quick: 60), times
   ``mentoring.engagements.matching.suggest_mentors(limit=10)`` — every query, the Python
   scoring and the users of the top 10 — and, for the same requests in the
   same run, the bare indexed query that fetches 10 candidate profiles (same
   workspace, open, not away, expertise in a requested skill). After a warm-up;
   the two are interleaved so drift hits both.
3. Target: p95 ≤ 50 ms and p95 ratio ≤ 5.

The last line printed is one JSON object (DESIGN §9). Needs PostgreSQL.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from scratch import log, p95, recreate_database, scratch_database, setup_django  # noqa: E402

FULL = {"people": 20_000, "mentors": 10_000, "skills": 200, "requests": 200, "engagements": 4_000}
QUICK = {"people": 5_000, "mentors": 2_500, "skills": 50, "requests": 60, "engagements": 1_000}
TARGET_P95_MS = 50.0
TARGET_RATIO = 5.0
WARM_UP = 10

WORDS = [
    "terraform",
    "module",
    "aws",
    "s3",
    "kubernetes",
    "helm",
    "cluster",
    "python",
    "django",
    "postgres",
    "index",
    "query",
    "react",
    "typescript",
    "testing",
    "pipeline",
    "ci",
    "deploy",
    "docker",
    "security",
    "oauth",
    "review",
    "design",
    "api",
    "graphql",
    "rust",
    "go",
    "latency",
    "cache",
    "redis",
    "kafka",
    "streaming",
    "onboarding",
    "leadership",
    "feedback",
    "hiring",
    "roadmap",
    "data",
    "model",
    "spark",
    "airflow",
    "ml",
    "training",
]
ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Helsinki",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
)


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def build_data(size: dict, rng: random.Random, *, slug: str = "bench") -> dict:
    from datetime import timedelta

    from django.db import connection

    from accounts import working_hours as wh
    from accounts.models import Expertise, Membership, Organization, Profile, Skill, User
    from core import clock
    from mentoring.models import Engagement, Participant
    from trust.models import TrustScore

    started = time.perf_counter()
    org = Organization.objects.create(name=slug.title(), slug=slug)
    User.objects.bulk_create(
        [
            User(email=f"p{i}@{slug}.example", full_name=f"Person {i}", password="!")
            for i in range(size["people"])
        ],
        batch_size=5000,
    )
    users = list(
        User.objects.filter(email__endswith=f"@{slug}.example").order_by("id").values_list("id", flat=True)
    )
    Membership.objects.bulk_create(
        [Membership(user_id=uid, organization=org) for uid in users], batch_size=5000
    )
    masks = {zone: wh.mask_to_hex(wh.utc_week_mask(wh.DEFAULT_WORKING_HOURS, zone)) for zone in ZONES}
    mentors = set(rng.sample(users, size["mentors"]))
    profiles = []
    for uid in users:
        zone = rng.choice(ZONES)
        is_mentor = uid in mentors
        profiles.append(
            Profile(
                user_id=uid,
                headline=_sentence(rng, 4),
                bio=_sentence(rng, 30),
                timezone=zone,
                working_hours=wh.DEFAULT_WORKING_HOURS,
                utc_week_mask=masks[zone],
                capacity=rng.randint(1, 5) if is_mentor else 2,
                work_mode=rng.choice(["async", "mixed", "live"]),
                cadence=rng.choice(["daily", "few_weekly", "weekly", "as_needed"]),
                feedback_style=rng.choice(["direct", "balanced", "gentle"]),
                open_to_mentor=is_mentor,
                is_away=is_mentor and rng.random() < 0.05,
                onboarded_at=clock.now(),
            )
        )
    Profile.objects.bulk_create(profiles, batch_size=5000)
    Skill.objects.bulk_create(
        [
            Skill(organization=org, name=f"{WORDS[i % len(WORDS)]} {i}", slug=f"skill-{i}")
            for i in range(size["skills"])
        ]
    )
    skills = list(Skill.objects.filter(organization=org).order_by("id").values_list("id", flat=True))
    # skewed popularity: a few skills are what everyone knows
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(skills))]
    expertise = []
    mentor_skills: dict[int, list[int]] = {}
    for uid in users:
        count = rng.randint(3, 5) if uid in mentors else rng.randint(0, 1)
        chosen = set()
        while len(chosen) < count:
            chosen.add(rng.choices(skills, weights)[0])
        mentor_skills[uid] = sorted(chosen)
        expertise += [
            Expertise(user_id=uid, skill_id=s, level=rng.randint(1, 5), years=rng.randint(0, 12))
            for s in chosen
        ]
    Expertise.objects.bulk_create(expertise, batch_size=10000)
    scores = []
    at = clock.now()
    for uid in mentors:
        if rng.random() > 0.6:
            continue
        alpha, beta = rng.uniform(2, 20), rng.uniform(1, 8)
        mean = alpha / (alpha + beta)
        scores.append(
            TrustScore(
                organization=org,
                subject_id=uid,
                dimension="responsiveness",
                skill=None,
                skill_key=0,
                alpha=alpha,
                beta=beta,
                mean=mean,
                lower=max(mean - 0.15, 0.01),
                upper=min(mean + 0.1, 0.99),
                evidence_weight=alpha + beta - 4,
                evidence_count=int(alpha + beta),
                computed_at=at,
            )
        )
        for skill_id in mentor_skills[uid]:
            alpha, beta = rng.uniform(2, 20), rng.uniform(1, 8)
            mean = alpha / (alpha + beta)
            scores.append(
                TrustScore(
                    organization=org,
                    subject_id=uid,
                    dimension="competence",
                    skill_id=skill_id,
                    skill_key=skill_id,
                    alpha=alpha,
                    beta=beta,
                    mean=mean,
                    lower=max(mean - 0.15, 0.01),
                    upper=min(mean + 0.1, 0.99),
                    evidence_weight=alpha + beta - 4,
                    evidence_count=int(alpha + beta),
                    computed_at=at,
                )
            )
    TrustScore.objects.bulk_create(scores, batch_size=10000)
    engagements = Engagement.objects.bulk_create(
        [
            Engagement(
                organization=org,
                kind="situational",
                title=f"E{i}",
                starts_at=at,
                ends_at=at + timedelta(days=14),
            )
            for i in range(size["engagements"])
        ],
        batch_size=5000,
    )
    mentor_list = sorted(mentors)
    others = [uid for uid in users if uid not in mentors]
    Participant.objects.bulk_create(
        [
            p
            for e in engagements
            for p in (
                Participant(engagement=e, user_id=rng.choice(mentor_list), role="mentor", joined_at=at),
                Participant(engagement=e, user_id=rng.choice(others), role="seeker", joined_at=at),
            )
        ],
        batch_size=10000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(
        f"built {len(users)} people, {len(mentors)} open to mentoring, {len(skills)} skills, "
        f"{len(expertise)} expertise rows, {len(scores)} trust scores, {len(engagements)} engagements "
        f"in {time.perf_counter() - started:.1f}s"
    )
    return {"org": org, "skills": skills, "weights": weights, "seekers": others}


def make_requests(data: dict, count: int, rng: random.Random) -> list[dict]:
    from accounts.models import Skill, User

    skills = Skill.objects.in_bulk(data["skills"])
    seekers = User.objects.in_bulk(rng.sample(data["seekers"], count))
    requests = []
    for seeker in seekers.values():
        chosen = set()
        wanted = rng.randint(1, 3)
        while len(chosen) < wanted:
            chosen.add(rng.choices(data["skills"], data["weights"])[0])
        requests.append(
            {
                "seeker": seeker,
                "skills": [skills[s] for s in sorted(chosen)],
                "need_text": f"I need help with {_sentence(rng, 6)}",
            }
        )
    return requests


def baseline_query(request: dict, organization_id: int) -> list:
    """The bare indexed query: 10 candidate profiles with expertise in a requested skill."""
    from accounts.models import Expertise, Profile

    return list(
        Profile.objects.filter(
            user__membership__organization_id=organization_id,
            open_to_mentor=True,
            is_away=False,
            user_id__in=Expertise.objects.filter(skill_id__in=[s.pk for s in request["skills"]]).values(
                "user_id"
            ),
        )
        .exclude(user_id=request["seeker"].pk)
        .values("user_id", "headline", "capacity")[:10]
    )


def measure(requests: list[dict], organization_id: int) -> dict:
    from mentoring.engagements.matching import suggest_mentors

    def suggest(r):
        return suggest_mentors(seeker=r["seeker"], skills=r["skills"], need_text=r["need_text"], limit=10)

    for r in requests[:WARM_UP]:
        suggest(r)
        baseline_query(r, organization_id)
    full, base, found = [], [], []
    for r in requests:
        t0 = time.perf_counter()
        result = suggest(r)
        t1 = time.perf_counter()
        baseline_query(r, organization_id)
        t2 = time.perf_counter()
        full.append((t1 - t0) * 1000)
        base.append((t2 - t1) * 1000)
        found.append(len(result))
    return {"full": full, "base": base, "found": found}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller workspace, under a minute")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    size = QUICK if args.quick else FULL
    result = {
        "bench": "matching",
        "metric": "p95 ms of top-10 suggestions / p95 ms of the bare indexed 10-profile query",
        "target": {"p95_ms": TARGET_P95_MS, "ratio": TARGET_RATIO},
    }
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith(("postgres://", "postgresql://")):
        log("DATABASE_URL must point at PostgreSQL (the scratch database is created next to it).")
        print(json.dumps({**result, "value": None, "baseline": None, "ratio": None, "pass": False}))
        sys.exit(1)
    admin_url, scratch_url, name = scratch_database(base_url, "matching_bench")
    recreate_database(admin_url, name)
    rng = random.Random(42)
    try:
        setup_django(scratch_url)
        data = build_data(size, rng)
        requests = make_requests(data, size["requests"], rng)
        timings = measure(requests, data["org"].pk)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            recreate_database(admin_url, name, drop_only=True)
    value, baseline = p95(timings["full"]), p95(timings["base"])
    ratio = value / baseline
    result.update(
        value=round(value, 2),
        baseline=round(baseline, 2),
        ratio=round(ratio, 2),
        size={k: size[k] for k in ("people", "mentors", "skills", "requests")},
        p50_ms=round(statistics.median(timings["full"]), 2),
        baseline_p50_ms=round(statistics.median(timings["base"]), 2),
        mean_suggestions=round(statistics.mean(timings["found"]), 1),
    )
    result["pass"] = bool(value <= TARGET_P95_MS and ratio <= TARGET_RATIO)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
