"""Measurement for bench/trust_quality.py: score tables, Spearman per signal for established
and little evidence, decile gains against the honest workspace, where a gain came from,
and the vouched-newcomer trial (played through the same real services). Everything is
measured on what the product ranks people by (``trust.standing.ranking_lower``)."""

import random

NEWCOMER_MAX_ENGAGEMENTS = 6


def spearman(pairs) -> float | None:
    from scipy.stats import spearmanr

    if len(pairs) < 5:
        return None
    xs, ys = zip(*pairs, strict=True)
    if len(set(xs)) < 2:
        return None  # all tied: nobody is ranked (people without enough evidence stand at the prior)
    return round(float(spearmanr(xs, ys).statistic), 3)


def decile(value: float, population: list[float]) -> int:
    """The tenth of ``population`` that ``value`` ranks in, ties at their middle: someone
    exactly tied with twenty colleagues stands in the middle of the twenty (where the
    product's own tie-breakers put them on average), not above or below all of them."""
    below = sum(1 for v in population if v < value)
    tied = sum(1 for v in population if v == value)
    return min(9, int(10 * (below + tied / 2) / len(population)))


def score_table(ws):
    from trust.models import TrustScore

    return {
        (s.subject_id, s.dimension, s.skill_key): s for s in TrustScore.objects.filter(organization=ws.org)
    }


def keys_of(ws, person, dimension):
    if dimension == "competence":
        return [
            (ws.users[person.index].pk, dimension, ws.skills[s].pk, person.competence[s])
            for s in person.skills
        ]
    truth = person.integrity if dimension == "integrity" else person.responsiveness
    return [(ws.users[person.index].pk, dimension, 0, truth)]


def ranked_value(ws, table, key, dimension: str) -> float:
    """What the product ranks a person by in one signal (``trust.standing.ranking_lower``): the
    lower bound with established evidence, the workspace prior's without; the prior's
    lower bound for someone with no evidence at all."""
    from trust.standing import ranking_lower

    floor = prior_lower(ws, dimension)
    score = table.get(key)
    if score is None:
        return floor
    return ranking_lower(
        score.established_lower,
        evidence_weight=score.established_weight,
        evidence_count=score.established_count,
        prior_lower=floor,
    )


def accuracy(ws, table) -> dict:
    """Spearman(ranked value, truth) per signal: people with established evidence (the
    product's ``scoring.is_established``), and the rest — all ranked at the prior, so their
    figure is None (not ranked) and ``little_lower`` is the Spearman of the lower bound of the
    band their card shows."""
    from trust import scoring

    out = {}
    for dimension in ("competence", "integrity", "responsiveness"):
        established, little, little_lower = [], [], []
        for person in ws.world.people:
            for user_id, dim, skill_key, truth in keys_of(ws, person, dimension):
                score = table.get((user_id, dim, skill_key))
                if score is None:
                    continue
                bucket = (
                    established
                    if scoring.is_established(score.established_weight, score.established_count)
                    else little
                )
                bucket.append((ranked_value(ws, table, (user_id, dim, skill_key), dimension), truth))
                if bucket is little:
                    little_lower.append((score.lower, truth))
        out[dimension] = {
            "established": spearman(established),
            "little": spearman(little),
            "little_lower": spearman(little_lower),
            "n_established": len(established),
            "n_little": len(little),
        }
    return out


def prior_lower(ws, dimension: str) -> float:
    """The lower bound of someone without evidence: the workspace prior's."""
    from trust.standing import workspace_prior

    return getattr(workspace_prior(ws.org.pk), dimension).lower


def decile_gain(a, table_a, b, table_b, person, attacked: set[int]) -> dict:
    """Per signal: the decile ``person`` is ranked in among their honest colleagues of B (by what
    the product ranks by, ``ranked_value``) minus the decile they are ranked in among the same
    colleagues in A (primary skill for competence). Each workspace is ranked on its own, as
    the product ranks it: the colleagues are everyone holding the skill except the attacked
    people (ring members, the sybils' target) — the same people in both workspaces.

    ``cross`` in the result: the older measure, B's value placed among A's colleagues (only the
    person's own score moves, but a difference of the two workspaces' priors alone moves
    someone standing at the prior across every colleague tied there)."""
    gains, cross = {}, {}
    for dimension in ("competence", "integrity", "responsiveness"):
        skill = person.skills[0] if dimension == "competence" else None

        def value(ws, table, p, skill=skill, dimension=dimension):
            key = (ws.users[p.index].pk, dimension, ws.skills[skill].pk if skill is not None else 0)
            return ranked_value(ws, table, key, dimension)

        colleagues = [
            p for p in a.world.people if (skill is None or skill in p.skills) and p.index not in attacked
        ]
        ref_a = [value(a, table_a, p) for p in colleagues]
        ref_b = [value(b, table_b, p) for p in colleagues]
        in_a, in_b = value(a, table_a, person), value(b, table_b, person)
        gains[dimension] = decile(in_b, ref_b) - decile(in_a, ref_a)
        cross[dimension] = decile(in_b, ref_a) - decile(in_a, ref_a)
    return {"gains": gains, "cross": cross}


def explain_gain(a, b, person, attackers: set[int]) -> str:
    """Where a member's B score came from: live weight from the attackers vs everyone else."""
    from django.db.models import Sum

    from trust.models import TrustEvent

    parts = []
    for dimension in ("competence", "integrity", "responsiveness"):
        live = TrustEvent.objects.live().filter(subject=b.users[person.index], dimension=dimension)
        if dimension == "competence":
            live = live.filter(skill=b.skills[person.skills[0]])
        honest = TrustEvent.objects.live().filter(subject=a.users[person.index], dimension=dimension)
        if dimension == "competence":
            honest = honest.filter(skill=a.skills[person.skills[0]])
        in_a = honest.aggregate(w=Sum("weight"))["w"] or 0.0
        inside = live.filter(actor_id__in=attackers).aggregate(w=Sum("weight"))["w"] or 0.0
        outside = live.exclude(actor_id__in=attackers).aggregate(w=Sum("weight"))["w"] or 0.0
        kinds = dict(live.filter(actor_id__in=attackers).values_list("source_kind").annotate(w=Sum("weight")))
        parts.append(
            f"{dimension} attackers {inside:.2f} ({', '.join(f'{k} {w:.2f}' for k, w in kinds.items())})"
            f" others {outside:.2f} (in A {in_a:.2f})"
        )
    return "; ".join(parts)


def newcomer_trial(a, size: dict, seed: int, vouched: bool) -> dict:
    """A truly strong newcomer mentoring in skill 0 of workspace A, vouched or not."""
    from trust_world import Person, _engagement

    from accounts.models import Membership, Profile, User
    from core import clock
    from trust.services import vouch_for
    from trust.services.recompute import recompute_subject

    label = "vouched" if vouched else "not-vouched"
    index = 10_000 + int(vouched)
    day0 = size["days"] + 1
    user = User.objects.create(
        email=f"new-{label}@{a.label.lower()}.sim", full_name=f"Newcomer {label}", date_joined=a.at(day0 - 1)
    )
    Membership.objects.create(user=user, organization=a.org)
    Profile.objects.filter(user=user).update(open_to_mentor=True, capacity=20, utc_week_mask="f" * 42)
    truth = Person(index, [0], {0: 0.95}, 0.95, 0.95, 1.0, "UTC", 9, "fair")
    a.users[index], a.masks[index], a.styles[index] = user, 0, "fair"
    a.world.people.append(truth)
    table = score_table(a)
    holders = [p for p in a.world.people if 0 in p.skills and p.index != index]
    # the top half of everyone holding the skill, by what the product ranks them by (the
    # colleagues nobody has evidence about stand at the prior)
    lowers = sorted(
        ranked_value(a, table, (a.users[p.index].pk, "competence", a.skills[0].pk), "competence")
        for p in holders
    )
    threshold = lowers[len(lowers) // 2]
    if vouched:
        with clock.travel_to(a.at(day0)):
            vouch_for(manager=a.manager, subject=user, skill=a.skills[0])
    rng = random.Random(seed + 1)  # the same luck for both newcomers
    reached, trail = None, []
    for n in range(1, NEWCOMER_MAX_ENGAGEMENTS + 1):
        seeker = rng.choice([p for p in a.world.people if p.index != index and p.style == "fair"])
        plan = _engagement(rng, day0 + 2 * n, seeker, truth, 0)
        plan.answers_in_time = True
        a.run([a.engagement(plan, f"new-{label}-{n}")])
        recompute_subject(user.pk, as_of=a.at(day0 + 2 * n + 2))
        lower = ranked_value(a, score_table(a), (user.pk, "competence", a.skills[0].pk), "competence")
        trail.append(round(lower, 3))
        if reached is None and lower >= threshold:
            reached = n
    a.world.people.remove(truth)
    return {
        "engagements_to_top_half": reached,
        "lower_after_each": trail,
        "top_half_lower": round(threshold, 3),
    }
