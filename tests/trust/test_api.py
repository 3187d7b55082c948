"""The trust REST API: scoped to the viewer's workspace, no raters in any representation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.clients import api_client_for
from tests.factories import OrganizationFactory, SkillFactory, member
from tests.trust.factories import observe, rate
from trust.models import TrustDispute, TrustEvent
from trust.services.disputes import dispute_raise
from trust.services.recompute import recompute_subject

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.trust.urls")]


def test_a_colleagues_card_shows_bands_and_explanations_but_never_raters(alice, bob, carol):
    rate(alice, bob, dimension="integrity", outcome=1.0)
    for _ in range(4):
        observe(bob, dimension="integrity", outcome=1.0)
    recompute_subject(bob.pk)
    response = api_client_for(carol).get(f"/api/trust/users/{bob.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == bob.pk
    integrity = body["integrity"]
    assert integrity["is_new"] is False
    assert integrity["band"][0] < integrity["mean"] < integrity["band"][1]
    assert integrity["distinct_raters"] == 1
    assert body["responsiveness"]["headline"] == "Not enough evidence yet — building a track record"
    assert body["responsiveness"]["mean"] is None and body["responsiveness"]["band"] is None
    assert alice.full_name not in response.content.decode()
    assert str(alice.email) not in response.content.decode()


def test_a_card_from_another_workspace_is_not_found(bob):
    outsider = member(OrganizationFactory())
    assert api_client_for(outsider).get(f"/api/trust/users/{bob.pk}/").status_code == 404
    assert api_client_for(outsider).get("/api/trust/users/999999/").status_code == 404


def test_anonymous_visitors_get_no_card(bob):
    assert APIClient().get(f"/api/trust/users/{bob.pk}/").status_code in (401, 403)


def test_the_card_endpoint_uses_a_fixed_number_of_queries_whatever_the_skills(org, alice, bob):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert api_client_for(alice).get(f"/api/trust/users/{bob.pk}/").status_code == 200
        return len(queries)

    observe(bob, dimension="competence", skill=SkillFactory(organization=org))
    recompute_subject(bob.pk)
    few = count_queries()
    for _ in range(6):
        observe(bob, dimension="competence", skill=SkillFactory(organization=org))
    recompute_subject(bob.pk)
    assert count_queries() == few


def test_my_trust_lists_evidence_without_raters_and_i_can_dispute_it(alice, bob):
    event = rate(alice, bob, outcome=0.0)
    client = api_client_for(bob)
    body = client.get("/api/trust/me/").json()
    assert body["evidence"][0]["id"] == event.pk
    assert body["evidence"][0]["assessment"] == "negative"
    assert "actor" not in body["evidence"][0] and "outcome" not in body["evidence"][0]
    response = client.post(
        "/api/trust/disputes/", {"event": event.pk, "reason": "I delivered on time."}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["state"] == "open"


def test_disputing_someone_elses_evidence_answers_not_found(alice, bob):
    event = rate(alice, bob, outcome=0.0)
    response = api_client_for(alice).post(
        "/api/trust/disputes/", {"event": event.pk, "reason": "x"}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not TrustDispute.objects.exists()


def test_a_dispute_without_a_reason_names_the_field(alice, bob):
    event = rate(alice, bob, outcome=0.0)
    response = api_client_for(bob).post(
        "/api/trust/disputes/", {"event": event.pk, "reason": ""}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]


def test_the_queue_and_decisions_are_for_talent_managers_only(alice, bob, manager):
    event = rate(alice, bob, outcome=0.0)
    dispute = dispute_raise(user=bob, event_id=event.pk, reason="wrong")
    assert api_client_for(alice).get("/api/trust/disputes/queue/").status_code == 403
    assert (
        api_client_for(alice)
        .post(f"/api/trust/disputes/{dispute.pk}/decide/", {"decision": "upheld", "note": "x"})
        .status_code
        == 403
    )
    queue = api_client_for(manager).get("/api/trust/disputes/queue/").json()
    assert [d["id"] for d in queue] == [dispute.pk]
    assert queue[0]["evidence"]["assessment"] == "negative"
    assert "actor" not in queue[0]["evidence"]
    response = api_client_for(manager).post(
        f"/api/trust/disputes/{dispute.pk}/decide/", {"decision": "upheld", "note": "Agreed."}, format="json"
    )
    assert response.status_code == 200 and response.json()["state"] == "upheld"
    assert TrustEvent.objects.filter(voids=event).exists()


def test_a_decision_without_a_note_is_rejected_with_the_field_named(alice, bob, manager):
    event = rate(alice, bob, outcome=0.0)
    dispute = dispute_raise(user=bob, event_id=event.pk, reason="wrong")
    response = api_client_for(manager).post(
        f"/api/trust/disputes/{dispute.pk}/decide/", {"decision": "upheld", "note": ""}, format="json"
    )
    assert response.status_code == 400
    assert "note" in response.json()["error"]["fields"]
    assert not TrustEvent.objects.filter(voids=event).exists()


def test_managers_see_distributions_not_individual_scores(org, alice, bob, manager):
    for _ in range(5):
        observe(bob, outcome=1.0)
    recompute_subject(bob.pk)
    body = api_client_for(manager).get("/api/trust/distributions/").json()
    integrity = next(d for d in body["dimensions"] if d["dimension"] == "integrity")
    assert integrity["people"] == 1 and sum(integrity["histogram"]) == 1
    assert api_client_for(alice).get("/api/trust/distributions/").status_code == 403


def test_a_manager_vouches_for_a_newcomer_once_per_skill(org, bob, manager, skill):
    client = api_client_for(manager)
    first = client.post("/api/trust/vouches/", {"user": bob.pk, "skill": skill.pk}, format="json")
    again = client.post("/api/trust/vouches/", {"user": bob.pk, "skill": skill.pk}, format="json")
    assert first.status_code == again.status_code == 201
    assert first.json()["event"] == again.json()["event"]
    event = TrustEvent.objects.get(subject=bob)
    assert (event.source_kind, event.weight, event.skill) == ("vouch", 3.0, skill)
    foreign = SkillFactory(organization=OrganizationFactory())
    assert (
        client.post("/api/trust/vouches/", {"user": bob.pk, "skill": foreign.pk}, format="json").status_code
        == 404
    )


def test_vouching_for_someone_outside_the_workspace_names_the_field(bob, manager, skill):
    outsider = member(OrganizationFactory())
    response = api_client_for(manager).post(
        "/api/trust/vouches/", {"user": outsider.pk, "skill": skill.pk}, format="json"
    )
    assert response.status_code == 404
    assert "user" in response.json()["error"]["fields"]
    assert not TrustEvent.objects.exists()
