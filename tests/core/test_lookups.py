"""core.lookups.AnyOf: the same rows as ``__in``, with the list bound as one array on
PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership, User
from core.lookups import AnyOf
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_any_of_finds_what_in_finds_on_a_key_and_a_foreign_key():
    people = [UserFactory() for _ in range(5)]
    org = OrganizationFactory()
    for user in people[:3]:
        Membership.objects.create(user=user, organization=org)
    wanted = [people[0].pk, people[2].pk, people[4].pk, 10**9]

    assert sorted(User.objects.filter(AnyOf("pk", wanted)).values_list("pk", flat=True)) == sorted(
        User.objects.filter(pk__in=wanted).values_list("pk", flat=True)
    )
    assert sorted(Membership.objects.filter(AnyOf("user_id", wanted)).values_list("user_id", flat=True)) == [
        people[0].pk,
        people[2].pk,
    ]


def test_any_of_an_empty_list_matches_nothing():
    UserFactory()
    assert list(User.objects.filter(AnyOf("pk", []))) == []


def test_any_of_takes_text_and_any_iterable():
    alice, _bob = UserFactory(email="alice@example.com"), UserFactory(email="bob@example.com")
    found = User.objects.filter(AnyOf("email", (e for e in ["alice@example.com", "carol@example.com"])))
    assert list(found.values_list("pk", flat=True)) == [alice.pk]


def test_any_of_binds_the_whole_list_as_one_parameter_on_postgresql():
    ids = list(range(1, 301))
    with CaptureQueriesContext(connection) as captured:
        list(User.objects.filter(AnyOf("pk", ids)))
    sql = captured.captured_queries[0]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql and " IN (" not in sql
    else:
        assert " IN (" in sql
