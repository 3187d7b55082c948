"""The figures of ``bench/routing_sim.py --hard``: the issue's table per run, and the JSON
result with its checks against ``HARD_TARGETS``."""

from datetime import timedelta

from routing_world import COMPETENT, TARGETS

HARD_TARGETS = {
    "answered": 0.95,
    "answered_alias_only": 0.90,
    "first_answer_within_10_working_minutes": 0.75,
    "competent_in_waves_1_3_when_free": 0.90,
    "wave1_competent_share_vs_random": 2.0,
}


def figures(sim, first_answers, times) -> dict:
    """The issue's table: answered (all, alias-only), first answer within 10 working
    minutes, waves 1-3 holding a truly competent person when one was free and
    working (and how often one was: the ceiling), the wave-1 slots that went to
    truly competent people."""
    from accounts.working_hours import is_working_at, working_minutes_between
    from messaging.models import RoutingAttempt
    from messaging.routing.params import daily_cap, wave_size

    cap, size = daily_cap(), wave_size()
    waves13: dict[int, set[int]] = {}
    wave1_sizes: dict[int, int] = {}
    wave1_slots = wave1_competent = 0
    for question_id, candidate_id, wave in RoutingAttempt.objects.filter(
        question_id__in=sim.questions, wave__lte=3, referred_by__isnull=True
    ).values_list("question_id", "candidate_id", "wave"):
        waves13.setdefault(question_id, set()).add(candidate_id)
        if wave == 1:
            wave1_slots += 1
            wave1_sizes[question_id] = wave1_sizes.get(question_id, 0) + 1
            skill = sim.questions[question_id]["skill"]
            wave1_competent += sim.by_user[candidate_id].competence.get(skill, 0) >= COMPETENT
    kinds: dict[str, list[int]] = {}
    held_by_kind: dict[str, list[int]] = {}
    fast = free = held_when_free = 0
    best_full = best_same = 0  # wave-1 slots a perfect judge could give truly competent people
    for question_id, info in sim.questions.items():
        answer = first_answers.get(question_id)
        kinds.setdefault(info["kind"], []).append(answer is not None)
        if answer is not None:
            person = sim.by_user[answer.author_id]
            fast += working_minutes_between(person.mask, info["at"], answer.created_at) <= 10
        at = info["at"]
        competent_free = [
            p
            for p in sim.people
            if p.competence.get(info["skill"], 0) >= COMPETENT
            and p.user_id != info["asker"]
            and not p.away
            and is_working_at(p.mask, at)
            and sum(1 for t in times.get(p.user_id, []) if at - timedelta(hours=24) < t <= at) < cap
        ]
        best_full += min(len(competent_free), size)
        best_same += min(len(competent_free), wave1_sizes.get(question_id, 0))
        if competent_free:
            free += 1
            asked = waves13.get(question_id, set())
            held = any(sim.by_user[c].competence.get(info["skill"], 0) >= COMPETENT for c in asked)
            held_when_free += held
            held_by_kind.setdefault(info["kind"], []).append(held)
    n = len(sim.questions) or 1
    return {
        "answered_by_wording": {k: round(sum(v) / len(v), 3) for k, v in sorted(kinds.items())},
        "competent_in_waves_1_3_when_free_by_wording": {
            k: round(sum(v) / len(v), 3) for k, v in sorted(held_by_kind.items())
        },
        "answered_alias_only": round(sum(kinds.get("alias", [])) / len(kinds["alias"]), 3)
        if kinds.get("alias")
        else None,
        "first_answer_within_10_working_minutes": round(fast / n, 3),
        "competent_in_waves_1_3_when_free": round(held_when_free / free, 3) if free else None,
        "ceiling_competent_free": round(free / n, 3),
        "wave1_competent_share": round(wave1_competent / wave1_slots, 3) if wave1_slots else 0.0,
        # the same share for a judge who knew the truth but asked only people working at the
        # moment of asking: three a wave, or as many as the ranking asked
        "wave1_share_ceiling_working": round(best_full / (size * n), 3),
        "wave1_share_ceiling_working_same_sizes": round(best_same / wave1_slots, 3) if wave1_slots else 0.0,
    }


def hard_result(ours: dict, base: dict, db_kind: str, size: dict, seed: int, cap: int) -> dict:
    ratio = (
        round(ours["wave1_competent_share"] / base["wave1_competent_share"], 2)
        if base["wave1_competent_share"]
        else None
    )
    held = ours["competent_in_waves_1_3_when_free"]
    checks = {
        "answered": ours["answered"] >= HARD_TARGETS["answered"],
        "answered_alias_only": (ours["answered_alias_only"] or 0) >= HARD_TARGETS["answered_alias_only"],
        "first_answer_within_10_working_minutes": ours["first_answer_within_10_working_minutes"]
        >= HARD_TARGETS["first_answer_within_10_working_minutes"],
        "competent_in_waves_1_3_when_free": held is not None
        and held >= HARD_TARGETS["competent_in_waves_1_3_when_free"],
        "wave1_competent_share_vs_random": ratio is not None
        and ratio >= HARD_TARGETS["wave1_competent_share_vs_random"],
        "daily_cap": ours["max_requests_per_person_24h"] <= cap,
    }
    return {
        "bench": "routing_sim",
        "world": "hard",
        "seed": seed,
        "metric": "the issue's table: answered, alias-only answered, first answer within 10 working "
        "minutes, competent person in waves 1-3 when one was free, wave-1 competent share",
        "value": ours["competent_in_waves_1_3_when_free"],
        "answered": ours["answered"],
        "answered_alias_only": ours["answered_alias_only"],
        "first_answer_within_10_working_minutes": ours["first_answer_within_10_working_minutes"],
        "competent_in_waves_1_3_when_free": held,
        "ceiling_competent_free": ours["ceiling_competent_free"],
        "wave1_competent_share": ours["wave1_competent_share"],
        "wave1_competent_share_random_holders": base["wave1_competent_share"],
        "wave1_ratio": ratio,
        "wave1_share_ceiling_working": ours["wave1_share_ceiling_working"],
        "wave1_share_ceiling_working_same_sizes": ours["wave1_share_ceiling_working_same_sizes"],
        "max_requests_per_person_24h": ours["max_requests_per_person_24h"],
        "baseline": {
            k: base[k]
            for k in (
                "answered",
                "answered_alias_only",
                "first_answer_within_10_working_minutes",
                "competent_in_waves_1_3_when_free",
            )
        },
        "target": {**HARD_TARGETS, "max_requests_per_person_24h": cap},
        **_verdict(checks, ours, base, db_kind, size),
    }


def plain_result(ours: dict, base: dict, db_kind: str, size: dict, cap: int) -> dict:
    """The JSON result of the plain and ``--quick`` worlds, with its checks against ``TARGETS``."""
    checks = {
        "answered": ours["answered"] >= TARGETS["answered"],
        "median_working_minutes": ours["median_working_minutes"] is not None
        and ours["median_working_minutes"] <= TARGETS["median_working_minutes"],
        "daily_cap": ours["max_requests_per_person_24h"] <= cap,
        "competent_in_wave1": ours["competent_in_wave1"] >= TARGETS["competent_in_wave1"],
    }
    return {
        "bench": "routing_sim",
        "metric": "share of questions whose wave 1 holds a truly competent person",
        "value": ours["competent_in_wave1"],
        "baseline": base["competent_in_wave1"],
        "ratio": round(ours["competent_in_wave1"] / base["competent_in_wave1"], 2)
        if base["competent_in_wave1"]
        else None,
        "target": {**TARGETS, "max_requests_per_person_24h": cap},
        **_verdict(checks, ours, base, db_kind, size),
    }


def _verdict(checks: dict, ours: dict, base: dict, db_kind: str, size: dict) -> dict:
    return {
        "pass": all(checks.values()),
        "checks": checks,
        "routing": ours,
        "random_baseline": base,
        "database": db_kind,
        "size": size,
    }
