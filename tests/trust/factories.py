"""Helpers that create trust evidence through the real service."""

from tests.trust.shared_sources import TEST_FEEDBACK_KIND, TEST_OBSERVED_KIND, shared_context
from trust import services


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
    return services.record_evidence(
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
    return services.record_evidence(
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
