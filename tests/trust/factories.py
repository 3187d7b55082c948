"""Factories for trust's tests.

``rate`` and ``observe`` record evidence through the real service (validation,
anti-gaming, tallies): prefer them whenever the behaviour under test reads the ledger
the way production does. The model factories build rows directly, for states the
services reach only slowly (a score with a given lower bound, a past snapshot) or to
probe the database's own constraints (``TrustEventFactory.build``).
"""

import factory

from core import clock
from tests.factories import OrganizationFactory, UserFactory
from tests.trust.shared_sources import TEST_FEEDBACK_KIND, TEST_OBSERVED_KIND, shared_context
from trust import params
from trust.models import TrustEvent, TrustPrior, TrustScore, TrustSnapshot
from trust.services.evidence import record_evidence
from trust.standing import prior_belief


def _workspace_of(row):
    """The subject's workspace (people from ``tests.factories.member`` have one)."""
    membership = getattr(row.subject, "membership", None)
    return membership.organization if membership is not None else OrganizationFactory()


def rate(
    actor,
    subject,
    *,
    dimension="integrity",
    outcome=1.0,
    skill=None,
    occurred_at=None,
    weight=1.0,
    kind=TEST_FEEDBACK_KIND,
    source_id=None,
):
    """``actor`` rates ``subject`` in a fresh shared context (or ``source_id``)."""
    return record_evidence(
        subject=subject,
        actor=actor,
        dimension=dimension,
        outcome=outcome,
        skill=skill,
        weight=weight,
        occurred_at=occurred_at,
        source_kind=kind,
        source_id=source_id or shared_context(actor, subject),
    )


def observe(subject, *, dimension="integrity", outcome=1.0, skill=None, occurred_at=None, weight=1.0):
    """A system-observed fact about ``subject`` (no actor), e.g. a kept commitment."""
    return record_evidence(
        subject=subject,
        actor=None,
        dimension=dimension,
        outcome=outcome,
        skill=skill,
        weight=weight,
        occurred_at=occurred_at,
        source_kind=TEST_OBSERVED_KIND,
        source_id=shared_context(subject),
    )


class TrustEventFactory(factory.django.DjangoModelFactory):
    """A raw ledger row: no validation, no anti-gaming, no tally (use ``rate``/``observe``
    for evidence as the product records it)."""

    class Meta:
        model = TrustEvent

    subject = factory.SubFactory(UserFactory)
    organization = factory.LazyAttribute(_workspace_of)
    dimension = params.INTEGRITY
    outcome = 1.0
    source_kind = TEST_OBSERVED_KIND
    source_id = factory.Sequence(lambda n: f"raw-{n}")
    occurred_at = factory.LazyFunction(clock.now)


class TrustScoreFactory(factory.django.DjangoModelFactory):
    """A stored belief; by default an established one (enough evidence not to be new)."""

    class Meta:
        model = TrustScore

    subject = factory.SubFactory(UserFactory)
    organization = factory.LazyAttribute(_workspace_of)
    dimension = params.INTEGRITY
    skill = None
    skill_key = factory.LazyAttribute(lambda o: o.skill.pk if o.skill is not None else 0)
    alpha = 6.0
    beta = 2.0
    mean = factory.LazyAttribute(lambda o: o.alpha / (o.alpha + o.beta))
    lower = 0.55
    upper = 0.9
    evidence_weight = 5.0
    evidence_count = 5
    # none of it found inside a suspicious pattern, unless a test says otherwise
    established_weight = factory.LazyAttribute(lambda o: o.evidence_weight)
    established_count = factory.LazyAttribute(lambda o: o.evidence_count)
    established_lower = factory.LazyAttribute(lambda o: o.lower)
    distinct_raters = 3
    last_evidence_at = factory.LazyFunction(clock.now)


class TrustSnapshotFactory(factory.django.DjangoModelFactory):
    """One day's copy of a score."""

    class Meta:
        model = TrustSnapshot

    subject = factory.SubFactory(UserFactory)
    organization = factory.LazyAttribute(_workspace_of)
    dimension = params.INTEGRITY
    skill = None
    skill_key = factory.LazyAttribute(lambda o: o.skill.pk if o.skill is not None else 0)
    date = factory.LazyFunction(lambda: clock.now().date())
    mean = 0.5
    lower = 0.0
    evidence_count = 5


class TrustPriorFactory(factory.django.DjangoModelFactory):
    """A workspace's stored prior mean for one dimension (what the nightly recompute writes)."""

    class Meta:
        model = TrustPrior
        django_get_or_create = ("organization", "dimension")

    organization = factory.SubFactory(OrganizationFactory)
    dimension = params.INTEGRITY
    mean = params.DEFAULT_PRIOR_MEAN
    lower = factory.LazyAttribute(lambda o: prior_belief(o.mean).lower)
    evidence = 0.0
