"""The trust math: pure functions, no database. Parameters live in trust.params."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from scipy.special import betaincinv

from trust import params

SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class Evidence:
    """What the math needs from a ledger row."""

    outcome: float
    weight: float
    occurred_at: datetime
    actor_id: int | None = None
    in_pattern: bool = False  # found inside a suspicious pattern (``TrustEvent.in_pattern``)


@dataclass(frozen=True)
class Belief:
    alpha: float
    beta: float
    mean: float
    lower: float
    upper: float
    evidence_weight: float
    evidence_count: int
    distinct_raters: int
    last_evidence_at: datetime | None
    # The stored tally (see ``tally``): the decayed sums referenced to last_evidence_at.
    good_at_last: float = 0.0
    bad_at_last: float = 0.0
    # The established test's inputs and the pattern's own tally (decision 0018): the weight and
    # count of the evidence not found inside a suspicious pattern, and that evidence's sums.
    established_weight: float = 0.0
    established_count: int = 0
    established_lower: float = 0.0
    pattern_good_at_last: float = 0.0
    pattern_bad_at_last: float = 0.0


def decay(age_days: float, half_life_days: float) -> float:
    """2^(−age/h); evidence from the future (clock skew) counts as fresh."""
    return 2.0 ** (-max(age_days, 0.0) / half_life_days)


def age_days(occurred_at: datetime, as_of: datetime) -> float:
    return (as_of - occurred_at).total_seconds() / SECONDS_PER_DAY


def prior(mean: float) -> tuple[float, float]:
    low, high = params.PRIOR_MEAN_BOUNDS
    mu = min(max(mean, low), high)
    return params.PRIOR_STRENGTH * mu, params.PRIOR_STRENGTH * (1.0 - mu)


def quantiles(alpha, beta):
    """(lower, upper) percentiles of Beta(alpha, beta); works on scalars and numpy arrays."""
    alpha = np.asarray(alpha, dtype=float)
    beta = np.asarray(beta, dtype=float)
    return betaincinv(alpha, beta, params.LOWER_QUANTILE), betaincinv(alpha, beta, params.UPPER_QUANTILE)


def belief(evidence: Iterable[Evidence], *, dimension: str, prior_mean: float, as_of: datetime) -> Belief:
    """The Beta belief from live evidence as of ``as_of``. Order of ``evidence`` is irrelevant
    (sums are accumulated in a canonical order so floating point cannot tell either)."""
    half_life = params.HALF_LIFE_DAYS[dimension]
    items = sorted(evidence, key=lambda e: (e.occurred_at, e.outcome, e.weight, e.actor_id or 0))
    good = bad = total = pattern_total = pattern_good_now = pattern_bad_now = 0.0
    pattern_count = 0
    raters = set()
    last = None
    for item in items:
        w = item.weight * decay(age_days(item.occurred_at, as_of), half_life)
        good += w * item.outcome
        bad += w * (1.0 - item.outcome)
        total += w
        if item.in_pattern:
            pattern_total += w
            pattern_good_now += w * item.outcome
            pattern_bad_now += w * (1.0 - item.outcome)
            pattern_count += 1
        if item.actor_id is not None:
            raters.add(item.actor_id)
        last = item.occurred_at if last is None or item.occurred_at > last else last
    prior_a, prior_b = prior(prior_mean)
    alpha, beta = prior_a + good, prior_b + bad
    lower, upper = quantiles(alpha, beta)
    established_lower = lower
    if pattern_count:
        established_lower, _ = quantiles(
            max(alpha - pattern_good_now, prior_a), max(beta - pattern_bad_now, prior_b)
        )
    good_at_last, bad_at_last = tally(items, dimension=dimension, last=last)
    pattern_good, pattern_bad = tally([i for i in items if i.in_pattern], dimension=dimension, last=last)
    return Belief(
        alpha=alpha,
        beta=beta,
        mean=alpha / (alpha + beta),
        lower=float(lower),
        upper=float(upper),
        evidence_weight=total,
        evidence_count=len(items),
        distinct_raters=len(raters),
        last_evidence_at=last,
        good_at_last=good_at_last,
        bad_at_last=bad_at_last,
        established_weight=max(total - pattern_total, 0.0),
        established_count=len(items) - pattern_count,
        established_lower=float(established_lower),
        pattern_good_at_last=pattern_good,
        pattern_bad_at_last=pattern_bad,
    )


def tally(evidence: Iterable[Evidence], *, dimension: str, last: datetime | None) -> tuple[float, float]:
    """The decayed sums referenced to the newest evidence ``last``:

        good_at_last = Σ w · x       · 2^(−(last − t) / h)
        bad_at_last  = Σ w · (1 − x) · 2^(−(last − t) / h)

    Every factor is ≤ 1 (no overflow, whatever the dates). Because decay is the
    same factor for every item of a dimension, the decayed sums at any moment
    ``as_of ≥ last`` are these times 2^(−(as_of − last) / h) (``decayed``): the
    nightly refresh needs the tally, not the ledger. ``evidence`` in canonical
    order (see ``belief``) so floating point cannot tell the order it was recorded in."""
    if last is None:
        return 0.0, 0.0
    half_life = params.HALF_LIFE_DAYS[dimension]
    good = bad = 0.0
    for item in evidence:
        w = item.weight * decay(age_days(item.occurred_at, last), half_life)
        good += w * item.outcome
        bad += w * (1.0 - item.outcome)
    return good, bad


def decayed(good_at_last: float, bad_at_last: float, *, last: datetime, dimension: str, as_of: datetime):
    """(good, bad) decayed sums at ``as_of`` from a tally; exact only when ``as_of ≥ last``
    (younger evidence than ``as_of`` counts as fresh in ``belief``: recompute those from the ledger)."""
    factor = decay(age_days(last, as_of), params.HALF_LIFE_DAYS[dimension])
    return good_at_last * factor, bad_at_last * factor


def workspace_mean(weighted_good: float, weighted_total: float) -> float:
    """The swift-trust mu: the workspace's decayed mean, shrunk toward the default."""
    k = params.WORKSPACE_MEAN_SHRINKAGE
    mu = (weighted_good + k * params.DEFAULT_PRIOR_MEAN) / (weighted_total + k)
    low, high = params.PRIOR_MEAN_BOUNDS
    return min(max(mu, low), high)


def is_newcomer(evidence_weight: float) -> bool:
    return evidence_weight < params.NEWCOMER_EVIDENCE


def is_established(evidence_weight: float, evidence_count: int) -> bool:
    """Enough evidence to be ranked on: NEWCOMER_EVIDENCE of (decayed, damped) weight from at
    least MIN_EVIDENCE_PIECES pieces. Nobody is ranked high on three pieces, however good.
    Callers pass the score's ``established_weight`` / ``established_count``: evidence found
    inside a suspicious pattern counts toward neither (decision 0018)."""
    return evidence_weight >= params.NEWCOMER_EVIDENCE and evidence_count >= params.MIN_EVIDENCE_PIECES
