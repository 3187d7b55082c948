"""Benchmark: can trust be bought? Collusion, sybils and rater temperament against the
trust model, through the product's real services end to end.

    python bench/trust_quality.py [--quick] [--seeds 1,2,3,4,5]

The hidden world (``bench/trust_world.py``: heavy-tailed activity, specialists,
over-claimers, competent-but-slow people, lenient / harsh / retaliating raters, twelve
time zones) is played through the real services: ``request_create`` →
``invitations_send`` → ``invitation_accept`` (or ``invitation_expire`` once the mentor's
working-time window passed) → ``commitment_record`` / ``commitment_confirm`` →
engagement questions (``question_ask``, ``answer_post``, ``answer_accept`` or
``question_resolve``) → ``engagement_finish_early`` → double-blind ``feedback_submit``;
network questions the same way; a talent manager's ``vouch_for``; every simulated night
``raters_refresh`` and ``recompute_all`` as Celery beat would. Time moves with
``core.clock.travel_to``; every moment lies in the past.

The same plan runs in workspace A (honest) and B (honest plus a five-person ring trading
engagements, commitments, accepts, answers and feedback every week, and six new accounts
praising one person). Per seed it reports the issue-12 table:

- ring: the largest decile gain of a member over the three signals: the decile they are
  ranked in among their honest colleagues in B minus the same in A, each by what the
  product ranks by (``trust.standing.ranking_lower``: the lower bound with established
  evidence, the workspace prior's without), ties counted at their middle;
- sybils: the decile gain of their target;
- Spearman(ranked value, truth) per signal for people with established evidence (the
  product's own "not new" rule, ``trust.scoring.is_established``) and for the rest;
- the vouched strong newcomer: engagements until their competence ranking bound reaches
  the top half of their skill (vs an identical newcomer nobody vouched for).

The baseline, measured in the same run, is workspace A: the decile gains are B against A
on the same honest plan. The last line printed is one JSON object (DESIGN §9).
"""

import argparse
import heapq
import json
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from scratch import log, recreate_database, scratch_database, setup_django  # noqa: E402
from trust_measure import (  # noqa: E402
    NEWCOMER_MAX_ENGAGEMENTS,
    accuracy,
    decile_gain,
    explain_gain,
    newcomer_trial,
    prior_lower,
    score_table,
)
from trust_world import World, confirms_kept, make_world, stars  # noqa: E402

FULL = {"people": 64, "skills": 5, "days": 42, "engagements_per_day": 5, "questions_per_day": 4}
QUICK = {"people": 40, "skills": 4, "days": 28, "engagements_per_day": 4, "questions_per_day": 3}


class Workspace:
    """One organization mirroring the world; ``run`` plays a list of processes in time order."""

    def __init__(self, label: str, world: World, size: dict, start, *, attackers: bool, seed: int):
        from accounts import working_hours as wh
        from accounts.models import Expertise, Membership, Organization, Profile, Skill, User

        self.label, self.world, self.start, self.seed = label, world, start, seed
        self.org = Organization.objects.create(name=f"Trust sim {label}", slug=f"trust-sim-{label.lower()}")
        self.skills = [
            Skill.objects.create(organization=self.org, name=f"Skill {s}", slug=f"skill-{s}")
            for s in range(size["skills"])
        ]
        rng = random.Random(f"{seed}:joined")
        people = list(world.people)
        self.users, self.masks, self.styles = {}, {}, {}
        extra = world.sybils if attackers else []
        for person in people + [None] * len(extra):
            index = person.index if person else extra[len(self.users) - len(people)]
            if person is None:  # a sybil: created three days before its first move
                first = min(p.day for p in world.attack_engagements if p.seeker == index)
                joined, zone, hour, style = start + timedelta(days=first - 3), "UTC", 9, "sybil"
            else:
                joined = start - timedelta(days=rng.uniform(120, 1500))
                zone, hour, style = person.zone, person.start_hour, person.style
            user = User.objects.create(
                email=f"p{index}@{label.lower()}.sim", full_name=f"Person {index}", date_joined=joined
            )
            Membership.objects.create(user=user, organization=self.org)
            hours = [{"day": d, "start": f"{hour:02d}:00", "end": f"{hour + 8:02d}:00"} for d in range(5)]
            mask = wh.utc_week_mask(hours, zone, reference=start + timedelta(days=2))
            Profile.objects.filter(user=user).update(
                timezone=zone,
                working_hours=hours,
                utc_week_mask=wh.mask_to_hex(mask),
                open_to_mentor=True,
                capacity=20,
                onboarded_at=joined,
            )
            if person is not None:
                Expertise.objects.bulk_create(
                    [Expertise(user=user, skill=self.skills[s], level=3, years=3) for s in person.skills]
                )
            self.users[index], self.masks[index], self.styles[index] = user, mask, style
        self.manager = User.objects.create(email=f"manager@{label.lower()}.sim", full_name="Manager")
        Membership.objects.create(
            user=self.manager, organization=self.org, role=Membership.Role.TALENT_MANAGER
        )
        self.given: dict[tuple[int, int], int] = {}  # (rater, ratee) → competence stars, for retaliation
        self.counts = {"engagements": 0, "expired": 0, "commitments": 0, "questions": 0, "feedback": 0}

    def at(self, day: float):
        return self.start + timedelta(days=day)

    # --- processes (generators yielding the next moment they need) -----------------------

    def engagement(self, plan, key: str):
        from accounts.working_hours import working_deadline
        from core import clock
        from mentoring.engagements.services.commitments import commitment_confirm, commitment_record
        from mentoring.engagements.services.engagements import engagement_finish_early
        from mentoring.engagements.services.invitations import (
            invitation_accept,
            invitation_expire,
            invitations_send,
        )
        from mentoring.engagements.services.requests import request_create

        prng = random.Random(f"{self.seed}:{key}")
        seeker, mentor = self.users[plan.seeker], self.users[plan.mentor]
        skill = self.skills[plan.skill]
        yield self.at(plan.day)
        request = request_create(seeker=seeker, title=f"Help with {skill.name}", skill_ids=[skill.pk])
        invitation = invitations_send(seeker=seeker, request_id=request.pk, mentors=[mentor])[0]
        invitation.refresh_from_db()
        if not plan.answers_in_time:
            yield invitation.expires_at + timedelta(minutes=1)
            invitation_expire(invitation_id=invitation.pk)
            self.counts["expired"] += 1
            return
        answer_at = working_deadline(self.masks[plan.mentor], clock.now(), plan.answer_after_minutes)
        yield min(answer_at, invitation.expires_at - timedelta(minutes=1))
        engagement = invitation_accept(mentor=mentor, invitation_id=invitation.pk)
        self.counts["engagements"] += 1
        yield clock.now() + timedelta(hours=1)
        rows = []
        for c in plan.commitments:
            owner = mentor if c.owner == "mentor" else seeker
            rows.append(
                (
                    c,
                    commitment_record(
                        actor=owner,
                        engagement_id=engagement.pk,
                        text="Review the draft",
                        due_at=clock.now() + timedelta(hours=c.due_hours),
                    ),
                )
            )
        self.counts["commitments"] += len(rows)
        for accepted in plan.questions:
            yield clock.now() + timedelta(hours=2)
            yield from self._question(
                seeker,
                mentor,
                plan.seeker,
                skill,
                accepted,
                prng,
                engagement_id=engagement.pk,
                honest=plan.group == "honest",
            )
        for c, row in sorted(rows, key=lambda r: r[1].due_at):
            yield max(clock.now(), row.due_at) + timedelta(hours=prng.uniform(1, 20))
            counterpart = plan.seeker if c.owner == "mentor" else plan.mentor
            said = c.kept if plan.group != "honest" else confirms_kept(c.kept, self.styles[counterpart], prng)
            commitment_confirm(actor=self.users[counterpart], commitment_id=row.pk, kept=said)
        yield clock.now() + timedelta(hours=6)
        engagement_finish_early(actor=seeker, engagement_id=engagement.pk)
        for rater, ratee, noise in (
            (plan.seeker, plan.mentor, plan.noise["to_mentor"]),
            (plan.mentor, plan.seeker, plan.noise["to_seeker"]),
        ):
            yield clock.now() + timedelta(hours=prng.uniform(1, 12))
            self._feedback(rater, ratee, plan, noise, prng, engagement.pk)

    def _question(
        self, asker, answerer, asker_index, skill, accepted, prng, *, engagement_id=None, honest=True
    ):
        from core import clock
        from messaging.qa.services import answer_accept, answer_post, question_ask, question_resolve

        scope = "engagement" if engagement_id else "network"
        question = question_ask(
            author=asker,
            title=f"How do I do this in {skill.name}?",
            body="Details inside.",
            scope=scope,
            engagement_id=engagement_id,
            skill_ids=[skill.pk],
        )
        yield clock.now() + timedelta(hours=prng.uniform(0.5, 6))
        answer = answer_post(author=answerer, question_id=question.pk, body="Try this approach.")
        yield clock.now() + timedelta(hours=prng.uniform(1, 8))
        style = self.styles[asker_index]
        says = (
            accepted
            if not honest
            else (
                (accepted or prng.random() < 0.5)
                if style == "lenient"
                else (accepted and prng.random() < 0.7)
                if style == "harsh"
                else accepted
            )
        )
        if says:
            answer_accept(actor=asker, answer_id=answer.pk)
        question_resolve(actor=asker, question_id=question.pk)
        self.counts["questions"] += 1

    def network_question(self, plan, key: str):
        prng = random.Random(f"{self.seed}:{key}")
        yield self.at(plan.day)
        yield from self._question(
            self.users[plan.asker],
            self.users[plan.answerer],
            plan.asker,
            self.skills[plan.skill],
            plan.accepted,
            prng,
            honest=plan.group == "honest",
        )

    def _feedback(self, rater: int, ratee: int, plan, noise, prng, engagement_id: int):
        from mentoring.engagements.services.feedback import feedback_submit

        people = {p.index: p for p in self.world.people}
        if plan.group != "honest":
            values = {"competence": 5, "respectful": True, "honest": True, "responsiveness": 5}
        else:
            truth = people[ratee]
            style = self.styles[rater]
            if style == "retaliating" and self.given.get((ratee, rater), 5) <= 2:
                values = {"competence": 1, "respectful": False, "honest": False, "responsiveness": 1}
            else:
                values = {
                    "competence": stars(truth.competence.get(plan.skill, 0.15), noise[0], style),
                    "respectful": prng.random() < truth.integrity + (0.15 if style == "lenient" else 0.0),
                    "honest": prng.random() < truth.integrity - (0.15 if style == "harsh" else 0.0),
                    "responsiveness": stars(truth.responsiveness, noise[1], style),
                }
        feedback_submit(
            rater=self.users[rater],
            engagement_id=engagement_id,
            ratee=self.users[ratee],
            would_work_again=values["competence"] >= 3,
            **values,
        )
        self.given[(rater, ratee)] = values["competence"]
        self.counts["feedback"] += 1

    def nightly(self, days: int):
        from trust.services.nightly import recompute_all
        from trust.services.raters import raters_refresh

        for day in range(1, days + 1):
            yield self.at(day).replace(hour=2, minute=0, second=0, microsecond=0)
            raters_refresh(organization_id=self.org.pk)
            recompute_all(organization_id=self.org.pk)

    def run(self, processes) -> None:
        """Advance every process in time order (ties in creation order)."""
        from core import clock

        heap = []
        for seq, process in enumerate(processes):
            moment = next(process, None)
            if moment is not None:
                heap.append((moment, seq, process))
        heapq.heapify(heap)
        while heap:
            moment, seq, process = heapq.heappop(heap)
            with clock.travel_to(moment):
                moment = next(process, None)
            if moment is not None:
                heapq.heappush(heap, (moment, seq, process))


# --- measurement ----------------------------------------------------------------------------


def run_seed(size: dict, seed: int) -> dict:
    from core import clock

    world = make_world(size, seed)
    start = (clock.now() - timedelta(days=size["days"] + 2 * NEWCOMER_MAX_ENGAGEMENTS + 12)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    spaces = {}
    for label, attackers in (("A", False), ("B", True)):
        t = time.perf_counter()
        ws = Workspace(f"{label}{seed}", world, size, start, attackers=attackers, seed=seed)
        processes = [ws.engagement(p, f"e{i}") for i, p in enumerate(world.engagements)]
        processes += [ws.network_question(q, f"q{i}") for i, q in enumerate(world.questions)]
        if attackers:
            processes += [ws.engagement(p, f"x{i}") for i, p in enumerate(world.attack_engagements)]
            processes += [ws.network_question(q, f"y{i}") for i, q in enumerate(world.attack_questions)]
        processes.append(ws.nightly(size["days"]))
        ws.run(processes)
        spaces[label] = ws
        log(f"seed {seed} workspace {label}: {ws.counts} in {time.perf_counter() - t:.0f}s")
    a, b = spaces["A"], spaces["B"]
    table_a, table_b = score_table(a), score_table(b)
    people = {p.index: p for p in world.people}
    attacked = {*world.ring, world.sybil_target}
    ring = [decile_gain(a, table_a, b, table_b, people[i], attacked) for i in world.ring]
    sybil = decile_gain(a, table_a, b, table_b, people[world.sybil_target], attacked)
    ring_gains, sybil_gain = [g["gains"] for g in ring], sybil["gains"]
    attackers = {b.users[i].pk for i in world.ring + world.sybils}
    log(
        "  prior lower bound A / B: "
        + ", ".join(
            f"{d} {prior_lower(a, d):.4f} / {prior_lower(b, d):.4f}"
            for d in ("competence", "integrity", "responsiveness")
        )
    )
    for index in [*world.ring, world.sybil_target]:
        log(f"  attacked {index}: " + explain_gain(a, b, people[index], attackers))
    result = {
        "seed": seed,
        "ring_max_decile_gain": max(max(g.values()) for g in ring_gains),
        "ring_gains": ring_gains,
        "sybil_decile_gain": max(sybil_gain.values()),
        "sybil_gains": sybil_gain,
        # the older measure (B's value among A's colleagues), for comparison
        "ring_max_decile_gain_cross": max(max(g["cross"].values()) for g in ring),
        "sybil_decile_gain_cross": max(sybil["cross"].values()),
        "spearman": accuracy(a, table_a),
        "counts_a": a.counts,
        "counts_b": b.counts,
    }
    for dimension in ("competence", "integrity", "responsiveness"):
        rows = sorted(
            (s.evidence_weight, s.evidence_count) for s in table_a.values() if s.dimension == dimension
        )
        if rows:
            quartile, middle, top = (rows[len(rows) * q // 20][0] for q in (5, 10, 18))
            log(
                f"  {dimension}: evidence weight p25/p50/p90 {quartile:.2f}/{middle:.2f}/{top:.2f}; "
                f"counts p50 {sorted(c for _, c in rows)[len(rows) // 2]}"
            )
    result["newcomer"] = {
        label: newcomer_trial(a, size, seed, vouched)
        for label, vouched in (("vouched", True), ("not_vouched", False))
    }
    reached = result["newcomer"]["vouched"]["engagements_to_top_half"]
    log(
        f"seed {seed}: ring {result['ring_max_decile_gain']} sybil {result['sybil_decile_gain']} "
        f"(against A's colleagues: ring {result['ring_max_decile_gain_cross']} "
        f"sybil {result['sybil_decile_gain_cross']}) "
        f"spearman {json.dumps(result['spearman'])} newcomer {reached}"
    )
    return result


def setup_database(suffix: str = ""):
    base_url = os.environ.get("DATABASE_URL", "")
    env = {
        "CELERY_BROKER_URL": "memory://",
        "REDIS_URL": None,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    if base_url.startswith(("postgres://", "postgresql://")):
        admin_url, scratch_url, name = scratch_database(base_url, f"trust_quality{suffix}")
        recreate_database(admin_url, name)
        import psycopg

        with psycopg.connect(admin_url, autocommit=True) as conn:  # thrown away: no WAL flush per fact
            conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        setup_django(scratch_url, env=env)

        def cleanup():
            from django.db import connections

            connections.close_all()
            recreate_database(admin_url, name, drop_only=True)

        return "postgresql", cleanup
    folder = tempfile.mkdtemp(prefix="trust-quality-")
    setup_django(f"sqlite:///{folder}/quality.sqlite3", env=env)

    def cleanup():
        from django.db import connections

        connections.close_all()
        shutil.rmtree(folder, ignore_errors=True)

    return "sqlite", cleanup


def summarize(results: list[dict]) -> dict:
    def worst(dimension, bucket):
        values = [r["spearman"][dimension].get(bucket) for r in results]
        values = [v for v in values if v is not None and v == v]  # no figure, or NaN (all tied)
        return min(values) if values else None

    ring = max(r["ring_max_decile_gain"] for r in results)
    sybil = max(r["sybil_decile_gain"] for r in results)
    established = {d: worst(d, "established") for d in ("competence", "integrity", "responsiveness")}
    newcomer = [r["newcomer"]["vouched"]["engagements_to_top_half"] for r in results]
    min_corr = min(v for v in established.values() if v is not None)
    passed = ring <= 1 and sybil <= 1 and min_corr >= 0.8 and all(n is not None and n <= 5 for n in newcomer)
    return {
        "bench": "trust_quality",
        "metric": "min over seeds and signals of Spearman(lower bound, truth), established evidence",
        "value": min_corr,
        "baseline": 0.8,
        "ratio": round(min_corr / 0.8, 3),
        "target": "ring gain <= 1 decile; sybil gain <= 1; Spearman >= 0.8 each signal, every seed; "
        "vouched newcomer top half within 5 engagements",
        "pass": bool(passed),
        "ring_max_decile_gain": ring,
        "sybil_max_decile_gain": sybil,
        "spearman_established_min": established,
        "spearman_little_min": {d: worst(d, "little") for d in ("competence", "integrity", "responsiveness")},
        "spearman_little_lower_min": {
            d: worst(d, "little_lower") for d in ("competence", "integrity", "responsiveness")
        },
        "vouched_newcomer_engagements": newcomer,
        "seeds": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", default="1,2,3,4,5")
    parser.add_argument(
        "--combine",
        nargs="+",
        metavar="FILE",
        help="summarize the per-seed results of earlier runs (their last JSON lines) instead of running",
    )
    args = parser.parse_args()
    if args.combine:
        runs = [json.loads(Path(name).read_text().strip().splitlines()[-1]) for name in args.combine]
        by_seed = {}
        for run in runs:  # the first result of each seed counts
            for seed_result in run["seeds"]:
                by_seed.setdefault(seed_result["seed"], seed_result)
        result = summarize([by_seed[seed] for seed in sorted(by_seed)])
        result.update(
            people=runs[0]["people"], days=runs[0]["days"], database=runs[0]["database"],
            seconds=round(sum(run["seconds"] for run in runs), 1), runs=len(runs),
        )  # fmt: skip
        print(json.dumps(result))
        return
    size = QUICK if args.quick else FULL
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    started = time.perf_counter()
    # one scratch database per set of seeds, so seeds can run side by side
    db_kind, cleanup = setup_database("_" + "_".join(str(seed) for seed in seeds))
    try:
        results = [run_seed(size, seed) for seed in seeds]
    finally:
        cleanup()
    result = summarize(results)
    result.update(
        people=size["people"],
        days=size["days"],
        database=db_kind,
        seconds=round(time.perf_counter() - started, 1),
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
