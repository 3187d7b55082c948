"""Rater standing, calibration and suspicious patterns: the nightly ``raters_refresh``.

Reads the live counterpart evidence (every ledger row with an actor, except vouches)
aggregated per (rater, subject, dimension), and writes:

- ``TrustRater`` per member: standing (account age × personalised PageRank from the
  established members and vouched newcomers) and a leniency offset per dimension;
  ``record_evidence`` reads them for every new piece of counterpart evidence;
- ``TrustPattern`` per workspace: dense reciprocal clusters and bursts of praise from
  new accounts, for the talent manager's attention list (replaced on every run).

A pure function of the live ledger, memberships and account ages (``trust.rater_model``
sorts its input): the same ledger in any order gives the same rows, and voided evidence
counts nowhere. Idempotent; runs before the nightly recompute (``trust.beat``).
"""

from collections import defaultdict
from datetime import datetime, timedelta
from statistics import median

from django.db import transaction
from django.db.models import Count, F, Max, Q, Sum
from django.db.models.functions import Coalesce

from accounts.models import Membership
from core import clock
from trust import params, rater_model, sources
from trust.models import TrustEvent, TrustPattern, TrustRater
from trust.services.recompute import refresh_keys
from trust.services.scheduling import lock_subjects
from trust.services.voids import rerecord_damped

# Evidence further back than this does not shape anyone's standing or offset.
RATER_WINDOW = timedelta(days=365)
NOT_COUNTERPART_KINDS = ("void", params.VOUCH_SOURCE_KIND)


def counterpart_evidence():
    """Live ledger rows that carry a counterpart's word (the defences apply to these)."""
    return (
        TrustEvent.objects.live()
        .filter(actor_id__isnull=False)
        .exclude(source_kind__in=NOT_COUNTERPART_KINDS)
    )


def favourable() -> Q:
    """Evidence in the subject's favour, judged on what the counterpart said (before
    calibration): the collusion defences damp only this (docs/trust.md §4)."""
    return Q(stated_outcome__gte=params.GOOD_OUTCOME) | Q(
        stated_outcome__isnull=True, outcome__gte=params.GOOD_OUTCOME
    )


def _pairs(organization_id: int, *, as_of: datetime, kinds: set[str] | None = None):
    evidence = counterpart_evidence()
    if kinds is not None:
        evidence = evidence.filter(source_kind__in=sorted(kinds))
    rows = (
        evidence.filter(
            organization_id=organization_id, occurred_at__gte=as_of - RATER_WINDOW, occurred_at__lte=as_of
        )
        .values("actor_id", "subject_id", "dimension")
        .annotate(
            n=Count("id"),
            total=Sum(Coalesce("stated_outcome", "outcome")),
            praise=Count("id", filter=Q(outcome__gte=params.PRAISE_THRESHOLD)),
            # good evidence as it counts (after the defences): what trust flows along
            good=Sum(F("weight") * F("outcome")),
            last=Max("occurred_at"),
        )
        .order_by()
    )
    return [
        (
            rater_model.PairEvidence(
                rater=r["actor_id"], subject=r["subject_id"], dimension=r["dimension"],
                count=r["n"], outcome_sum=float(r["total"]), praise=r["praise"],
            ),
            r["last"],
            float(r["good"] or 0.0),
        )
        for r in rows
    ]  # fmt: skip


def raters_refresh(*, organization_id: int | None = None, as_of: datetime | None = None) -> int:
    """Refresh every member's rater standing and offsets and the suspicious patterns of one
    workspace (or all). Returns the number of raters written."""
    as_of = as_of or clock.now()
    orgs = (
        [organization_id]
        if organization_id is not None
        else sorted(set(Membership.objects.filter(is_active=True).values_list("organization_id", flat=True)))
    )
    return sum(_refresh_workspace(org, as_of=as_of) for org in orgs)


def _refresh_workspace(organization_id: int, *, as_of: datetime) -> int:
    members = dict(
        Membership.objects.filter(organization_id=organization_id, is_active=True).values_list(
            "user_id", "user__date_joined"
        )
    )
    rows = _pairs(organization_id, as_of=as_of)
    pairs_with_last = [(pair, last) for pair, last, _good in rows]
    # the patterns first: what a dense cluster says about its own members, or a burst of new
    # accounts about the person they praise, is nobody's independent word — it shapes no
    # one's leniency offset, seed status or standing
    patterns = _patterns(organization_id, pairs_with_last, members, as_of=as_of)
    tied = pattern_pairs(patterns)
    judged = set(sources.rating_kinds())
    # leniency is measured on judgements (ratings, confirmations), not on observed timings
    offsets = rater_model.calibration_offsets(
        [
            pair
            for pair, _last, _good in _pairs(organization_id, as_of=as_of, kinds=judged)
            if (pair.rater, pair.subject) not in tied
        ]
    )
    raters_of: dict[int, set[int]] = defaultdict(set)
    edges: dict[tuple[int, int], float] = defaultdict(float)
    ratings: dict[int, int] = defaultdict(int)
    for pair, _last, good in rows:
        ratings[pair.rater] += pair.count
        if (pair.rater, pair.subject) in tied:
            continue
        raters_of[pair.subject].add(pair.rater)
        # trust flows along good evidence as it counts after the defences: a ring's damped
        # praise of itself does not trap the workspace's trust inside the ring
        if good > 0:
            edges[(pair.rater, pair.subject)] += good
    vouched = set(
        TrustEvent.objects.live()
        .filter(organization_id=organization_id, source_kind=params.VOUCH_SOURCE_KIND)
        .values_list("subject_id", flat=True)
    )
    established_before = as_of - timedelta(days=params.ESTABLISHED_AGE_DAYS)
    seeds = {
        user_id
        for user_id, joined in members.items()
        if joined <= established_before and len(raters_of[user_id]) >= params.ESTABLISHED_RATERS
    } | (vouched & set(members))
    ranks = rater_model.pagerank(
        {key: edges[key] for key in edges if key[0] in members and key[1] in members},
        nodes=members,
        seeds=seeds,
    )
    reference = median([ranks[s] for s in seeds]) if seeds else 0.0
    rows = []
    for user_id in sorted(members):
        share = ranks.get(user_id, 0.0) / reference if reference > 0 else 0.0
        value, age_factor = rater_model.standing(
            pagerank_share=share,
            age_days=(as_of - members[user_id]).total_seconds() / 86400.0,
            seeds=len(seeds),
        )
        rows.append(
            TrustRater(
                organization_id=organization_id, rater_id=user_id, standing=value,
                pagerank_share=share, age_factor=age_factor, is_seed=user_id in seeds,
                ratings=ratings[user_id], computed_at=as_of,
                **{f"offset_{d}": offsets.get((user_id, d), 0.0) for d in params.DIMENSIONS},
            )
        )  # fmt: skip
    with transaction.atomic():
        TrustRater.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["rater"],
            update_fields=[
                "organization", "standing", "pagerank_share", "age_factor", "is_seed", "ratings",
                "offset_competence", "offset_integrity", "offset_responsiveness", "computed_at",
            ],
            batch_size=2000,
        )  # fmt: skip
        TrustPattern.objects.filter(organization_id=organization_id).delete()
        TrustPattern.objects.bulk_create(patterns)
        for pattern in patterns:
            if pattern.kind == TrustPattern.Kind.CLUSTER:
                _damp(organization_id, actors=pattern.people, subjects=pattern.people, as_of=as_of)
            else:  # a burst: what the new accounts and the person they praised said of each other
                _damp(organization_id, actors=pattern.people, subjects=[pattern.subject_id], as_of=as_of)
                _damp(organization_id, actors=[pattern.subject_id], subjects=pattern.people, as_of=as_of)
    return len(rows)


CLUSTER_NOTE = "inside a suspicious pattern"


def pattern_pairs(patterns) -> set[tuple[int, int]]:
    """(rater, subject) pairs inside a suspicious pattern: every ordered pair of a dense
    cluster's members, and each account of a burst and the person it praised, both ways (the
    target's praise of the accounts that praise it is the same trade, decision 0018)."""
    tied: set[tuple[int, int]] = set()
    for pattern in patterns:
        if pattern.kind == TrustPattern.Kind.CLUSTER:
            tied |= {(a, b) for a in pattern.people for b in pattern.people if a != b}
        else:
            tied |= {(a, pattern.subject_id) for a in pattern.people}
            tied |= {(pattern.subject_id, a) for a in pattern.people}
    return tied


def _damp(organization_id: int, *, actors: list[int], subjects: list[int], as_of: datetime) -> int:
    """Re-record the live evidence ``actors`` gave ``subjects`` in the window (the members of
    a dense cluster to each other, a burst's new accounts to the person they praised),
    damped by CLUSTER_FACTOR — once: evidence already damped is left alone."""
    inside = (
        counterpart_evidence()
        .filter(
            organization_id=organization_id,
            actor_id__in=actors,
            subject_id__in=subjects,
            occurred_at__gte=as_of - max(params.CIRCLE_WINDOW, params.BURST_WINDOW),
        )
        # only what speaks in the subject's favour: criticism inside a group counts in full
        .filter(favourable())
        .exclude(weight_note__contains=CLUSTER_NOTE)
    )
    events = list(inside)
    if not events:
        return 0
    lock_subjects(*sorted({e.subject_id for e in events}))
    for event in events:
        rerecord_damped(
            event,
            factor=params.CLUSTER_FACTOR,
            note=f"{CLUSTER_NOTE}: ×{params.CLUSTER_FACTOR:g}",
            reason="Suspicious pattern (dense cluster or burst from new accounts): damped",
            in_pattern=True,
        )
    refresh_keys({(e.subject_id, e.dimension, e.skill_key) for e in events}, as_of=as_of)
    return len(events)


def in_suspicious_pattern(*, actor_id: int, subject_id: int) -> bool:
    """Whether the last nightly found ``actor`` and ``subject`` in the same dense cluster, or
    one of them among a burst of new accounts praising the other."""
    # a few rows per workspace; JSON containment is not portable to SQLite
    for kind, subject, people in TrustPattern.objects.values_list("kind", "subject_id", "people"):
        if kind == TrustPattern.Kind.CLUSTER:
            if actor_id in people and subject_id in people:
                return True
        elif (actor_id in people and subject_id == subject) or (actor_id == subject and subject_id in people):
            return True
    return False


def _patterns(organization_id: int, pairs_with_last, members: dict, *, as_of: datetime) -> list[TrustPattern]:
    recent = {
        (pair.rater, pair.subject) for pair, last in pairs_with_last if last >= as_of - params.CIRCLE_WINDOW
    }
    received: dict[tuple[int, int], int] = defaultdict(int)
    for pair, last in pairs_with_last:
        if last >= as_of - params.CIRCLE_WINDOW:
            received[(pair.rater, pair.subject)] += pair.count
    patterns = []
    for cluster in rater_model.dense_clusters(recent):
        if not rater_model.is_closed(cluster, received):
            continue  # a close team that the rest of the workspace judges too
        inside = set(cluster)
        internal = sum(n for (rater, subject), n in received.items() if rater in inside and subject in inside)
        total = sum(n for (_rater, subject), n in received.items() if subject in inside)
        patterns.append(
            TrustPattern(
                organization_id=organization_id, kind=TrustPattern.Kind.CLUSTER, subject_id=cluster[0],
                people=cluster, detected_at=as_of,
                facts={"members": len(cluster), "pieces_inside": internal,
                       "share_inside": round(internal / total, 2),
                       "mutual_ties": sum(1 for a, b in recent if a in inside and b in inside) // 2},
            )
        )  # fmt: skip
    praise = (
        counterpart_evidence()
        .filter(
            organization_id=organization_id,
            outcome__gte=params.PRAISE_THRESHOLD,
            occurred_at__gte=as_of - params.BURST_WINDOW,
            occurred_at__lte=as_of,
            actor__date_joined__gt=F("occurred_at") - params.BURST_ACCOUNT_AGE,
        )
        .values_list("subject_id", "actor_id")
        .distinct()
    )
    new_raters: dict[int, set[int]] = defaultdict(set)
    for subject_id, actor_id in praise:
        new_raters[subject_id].add(actor_id)
    for subject_id in sorted(new_raters):
        accounts = new_raters[subject_id]
        if len(accounts) >= params.BURST_MIN_ACCOUNTS and subject_id in members:
            patterns.append(
                TrustPattern(
                    organization_id=organization_id, kind=TrustPattern.Kind.BURST, subject_id=subject_id,
                    people=sorted(accounts), detected_at=as_of,
                    facts={"new_accounts": len(accounts),
                           "window_days": params.BURST_WINDOW.days,
                           "account_age_days": params.BURST_ACCOUNT_AGE.days},
                )
            )  # fmt: skip
    return patterns


def rater_factors(actor, *, dimension: str, moment: datetime) -> tuple[float, float, float]:
    """(standing, offset, age factor) for a new piece of evidence from ``actor``: the nightly
    row. An account the nightly has not seen yet (joined since) counts by its age ×
    UNKNOWN_RATER_STANDING; in a workspace the nightly never ran for, standing is unknown
    for everyone and nobody is weighed down (1.0)."""
    row = TrustRater.objects.filter(rater_id=actor.pk).first()
    if row is not None:
        return row.standing, row.offset(dimension), row.age_factor
    organization_id = Membership.objects.filter(user_id=actor.pk, is_active=True).values_list(
        "organization_id", flat=True
    )
    if not TrustRater.objects.filter(organization_id__in=organization_id).exists():
        return 1.0, 0.0, 1.0
    age_days = (moment - actor.date_joined).total_seconds() / 86400.0
    value, age_factor = rater_model.standing(
        pagerank_share=params.UNKNOWN_RATER_STANDING * params.PAGERANK_FULL_SHARE, age_days=age_days
    )
    return value, 0.0, age_factor
