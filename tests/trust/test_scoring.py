"""Property tests of the trust math (trust.scoring): pure functions, no database."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trust import params, scoring

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)

evidence_items = st.builds(
    scoring.Evidence,
    outcome=st.floats(min_value=0.0, max_value=1.0),
    weight=st.floats(min_value=0.05, max_value=params.MAX_WEIGHT),
    occurred_at=st.integers(min_value=0, max_value=720).map(lambda d: AS_OF - timedelta(days=d)),
    actor_id=st.one_of(st.none(), st.integers(min_value=1, max_value=20)),
)
dimensions = st.sampled_from(params.DIMENSIONS)
prior_means = st.floats(min_value=0.1, max_value=0.9)


@settings(max_examples=200, deadline=None)
@given(st.lists(evidence_items, max_size=30), dimensions, prior_means, st.randoms())
def test_the_belief_does_not_depend_on_the_order_of_evidence(items, dimension, mu, rnd):
    shuffled = list(items)
    rnd.shuffle(shuffled)
    a = scoring.belief(items, dimension=dimension, prior_mean=mu, as_of=AS_OF)
    b = scoring.belief(shuffled, dimension=dimension, prior_mean=mu, as_of=AS_OF)
    assert a == b


@settings(max_examples=200, deadline=None)
@given(
    st.lists(evidence_items, max_size=30), dimensions, prior_means, st.floats(min_value=0.05, max_value=5.0)
)
def test_more_good_evidence_never_lowers_the_mean_or_the_lower_bound(items, dimension, mu, weight):
    before = scoring.belief(items, dimension=dimension, prior_mean=mu, as_of=AS_OF)
    good = scoring.Evidence(outcome=1.0, weight=weight, occurred_at=AS_OF - timedelta(days=3))
    after = scoring.belief([*items, good], dimension=dimension, prior_mean=mu, as_of=AS_OF)
    assert after.mean >= before.mean - 1e-12
    assert after.lower >= before.lower - 1e-9


@settings(max_examples=200, deadline=None)
@given(st.lists(evidence_items, min_size=1, max_size=30), dimensions, prior_means, st.integers(1, 2000))
def test_decay_moves_old_evidence_toward_the_prior(items, dimension, mu, extra_days):
    prior_mean = scoring.prior(mu)[0] / params.PRIOR_STRENGTH
    now = scoring.belief(items, dimension=dimension, prior_mean=mu, as_of=AS_OF)
    later = scoring.belief(
        items, dimension=dimension, prior_mean=mu, as_of=AS_OF + timedelta(days=extra_days)
    )
    assert abs(later.mean - prior_mean) <= abs(now.mean - prior_mean) + 1e-12
    assert later.evidence_weight <= now.evidence_weight


def test_evidence_one_half_life_old_counts_half():
    fresh = scoring.Evidence(outcome=1.0, weight=1.0, occurred_at=AS_OF)
    old = scoring.Evidence(
        outcome=1.0, weight=1.0, occurred_at=AS_OF - timedelta(days=params.HALF_LIFE_DAYS["integrity"])
    )
    assert scoring.belief(
        [old], dimension="integrity", prior_mean=0.5, as_of=AS_OF
    ).evidence_weight == pytest.approx(0.5)
    assert scoring.belief(
        [fresh], dimension="integrity", prior_mean=0.5, as_of=AS_OF
    ).evidence_weight == pytest.approx(1.0)


def test_no_evidence_gives_the_swift_trust_prior():
    b = scoring.belief([], dimension="responsiveness", prior_mean=0.7, as_of=AS_OF)
    assert (b.alpha, b.beta) == pytest.approx((params.PRIOR_STRENGTH * 0.7, params.PRIOR_STRENGTH * 0.3))
    assert b.lower < b.mean < b.upper
    assert scoring.is_newcomer(b.evidence_weight)


def test_the_lower_bound_is_the_tenth_percentile_of_the_beta():
    from scipy.stats import beta as beta_dist

    lower, upper = scoring.quantiles(7.0, 3.0)
    assert float(lower) == pytest.approx(beta_dist.ppf(0.10, 7.0, 3.0))
    assert float(upper) == pytest.approx(beta_dist.ppf(0.90, 7.0, 3.0))


def test_the_workspace_mean_is_shrunk_toward_the_default_when_there_is_little_evidence():
    assert scoring.workspace_mean(0.0, 0.0) == params.DEFAULT_PRIOR_MEAN
    assert scoring.workspace_mean(1.0, 1.0) < 0.7
    assert scoring.workspace_mean(900.0, 1000.0) == pytest.approx(0.9, abs=0.01)
