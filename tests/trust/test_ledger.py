"""The ledger is append-only, in Python and in the database."""

import pytest
from django.db import IntegrityError, transaction

from tests.trust.factories import TrustEventFactory, rate
from trust.models import AppendOnlyError, TrustEvent

pytestmark = pytest.mark.django_db


def test_saving_an_existing_event_again_is_refused(alice, bob):
    event = rate(alice, bob)
    event.outcome = 0.0
    with pytest.raises(AppendOnlyError):
        event.save()
    assert TrustEvent.objects.get(pk=event.pk).outcome == 1.0


def test_deleting_an_event_is_refused(alice, bob):
    event = rate(alice, bob)
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert TrustEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_and_delete_are_refused(alice, bob):
    rate(alice, bob)
    with pytest.raises(AppendOnlyError):
        TrustEvent.objects.all().update(outcome=0.0)
    with pytest.raises(AppendOnlyError):
        TrustEvent.objects.filter(subject=bob).delete()
    assert TrustEvent.objects.get(subject=bob).outcome == 1.0


def test_the_database_refuses_an_outcome_outside_zero_to_one(alice, bob):
    clone = TrustEventFactory.build(subject=bob, dimension="integrity", outcome=1.5)
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()


def test_the_database_refuses_competence_without_a_skill(bob, alice):
    clone = TrustEventFactory.build(subject=bob, dimension="competence", skill=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()


def test_an_outcome_too_small_for_the_database_arithmetic_is_stored_as_zero(alice, bob):
    # given a subnormal outcome (hypothesis found 5e-324: PostgreSQL's float maths underflows on it)
    event = rate(alice, bob, outcome=5e-324)

    # then the ledger keeps it as the 0 it means
    event.refresh_from_db()
    assert event.outcome == 0.0
