"""Recompute per subject: tallies and beliefs of some or all keys of one person.

A TrustScore row holds two things (trust/models.py): the key's *tally* — a pure
function of its live evidence (count, distinct raters, newest evidence, and the
decayed sums referenced to that newest evidence) — and the *belief* at computed_at.
Every ledger write rebuilds the tallies of the keys it touched, in its own
transaction (``refresh_keys``); ``recompute_subject`` (the Celery task's body)
rebuilds all of one person's keys. The set-based paths over every score are in
``trust.services.nightly`` (from the tallies) and ``trust.services.repair`` (from
the ledger).
"""

from collections import defaultdict
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from core import clock
from trust import scoring
from trust.models import TrustEvent, TrustScore
from trust.services.priors import prior_means
from trust.services.scheduling import lock_subjects

# What an upsert of a score rewrites (everything but the key).
SCORE_FIELDS = [
    "organization",
    "skill",
    "alpha",
    "beta",
    "mean",
    "lower",
    "upper",
    "evidence_weight",
    "evidence_count",
    "distinct_raters",
    "last_evidence_at",
    "computed_at",
    "good_at_last",
    "bad_at_last",
    "pattern_good_at_last",
    "pattern_bad_at_last",
    "established_weight",
    "established_count",
    "established_lower",
]


def _rebuild_subject(user_id: int, *, as_of: datetime, keys: set[tuple[str, int]] | None = None) -> int:
    """Rebuild tally and belief of ``keys`` (every key of the subject when None) from the
    live ledger: upsert the keys with evidence, delete the others. The caller holds the
    subject's lock (``lock_subjects``) inside a transaction."""
    events = TrustEvent.objects.live().filter(subject_id=user_id)
    if keys is not None:
        if not keys:
            return 0
        wanted = Q()
        for dimension, skill_key in keys:
            wanted |= Q(dimension=dimension, skill_key=skill_key)
        events = events.filter(wanted)
    rows = events.values_list(
        "organization_id",
        "dimension",
        "skill_key",
        "outcome",
        "weight",
        "occurred_at",
        "actor_id",
        "in_pattern",
    )
    groups: dict[tuple[str, int], list[scoring.Evidence]] = defaultdict(list)
    organization_id = None
    for org_id, dimension, skill_key, outcome, weight, occurred_at, actor_id, in_pattern in rows:
        organization_id = org_id
        groups[(dimension, skill_key)].append(
            scoring.Evidence(outcome, weight, occurred_at, actor_id, in_pattern=in_pattern)
        )
    scores = []
    if groups:
        priors = prior_means(organization_id)
        for (dimension, skill_key), evidence in groups.items():
            b = scoring.belief(evidence, dimension=dimension, prior_mean=priors[dimension], as_of=as_of)
            scores.append(
                TrustScore(
                    organization_id=organization_id,
                    subject_id=user_id,
                    dimension=dimension,
                    skill_id=skill_key or None,
                    skill_key=skill_key,
                    alpha=b.alpha,
                    beta=b.beta,
                    mean=b.mean,
                    lower=b.lower,
                    upper=b.upper,
                    evidence_weight=b.evidence_weight,
                    evidence_count=b.evidence_count,
                    distinct_raters=b.distinct_raters,
                    last_evidence_at=b.last_evidence_at,
                    computed_at=as_of,
                    good_at_last=b.good_at_last,
                    bad_at_last=b.bad_at_last,
                    pattern_good_at_last=b.pattern_good_at_last,
                    pattern_bad_at_last=b.pattern_bad_at_last,
                    established_weight=b.established_weight,
                    established_count=b.established_count,
                    established_lower=b.established_lower,
                )
            )
        TrustScore.objects.bulk_create(
            scores,
            update_conflicts=True,
            unique_fields=["subject", "dimension", "skill_key"],
            update_fields=SCORE_FIELDS,
        )
    existing = TrustScore.objects.filter(subject_id=user_id)
    if keys is not None:
        for dimension, skill_key in keys - set(groups):
            existing.filter(dimension=dimension, skill_key=skill_key).delete()
    else:
        stale = [
            pk for pk, d, k in existing.values_list("pk", "dimension", "skill_key") if (d, k) not in groups
        ]
        if stale:
            TrustScore.objects.filter(pk__in=stale).delete()
    return len(scores)


def refresh_keys(touched: set[tuple[int, str, int]], *, as_of: datetime | None = None) -> None:
    """Bring the tallies (and beliefs) of the touched (subject, dimension, skill_key) keys
    in line with the ledger. Called inside the transaction of every ledger write, with
    the subjects locked, so a committed ledger always has matching tallies."""
    as_of = as_of or clock.now()
    by_subject: dict[int, set[tuple[str, int]]] = defaultdict(set)
    for subject_id, dimension, skill_key in touched:
        by_subject[subject_id].add((dimension, skill_key))
    for subject_id, keys in sorted(by_subject.items()):
        _rebuild_subject(subject_id, as_of=as_of, keys=keys)


def recompute_subject(user_id: int, *, as_of: datetime | None = None) -> int:
    """Rebuild all of one subject's scores (tallies and beliefs) from the ledger.
    Returns the number of scores.

    Idempotent and safe to run concurrently: it holds the subject's lock while it
    reads the ledger and upserts, and every run computes the whole state."""
    as_of = as_of or clock.now()
    with transaction.atomic():
        lock_subjects(user_id)
        return _rebuild_subject(user_id, as_of=as_of)
