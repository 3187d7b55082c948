"""HTML pages: my trust with dispute buttons, the manager's queue, and the card partial."""

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from tests.factories import OrganizationFactory, member, talent_manager
from tests.trust.factories import observe, rate
from trust.models import TrustDispute, TrustEvent
from trust.services.disputes import dispute_raise
from trust.services.recompute import recompute_subject

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.trust.urls")]


def test_my_trust_shows_explanations_and_a_dispute_form_per_item(client, alice, bob):
    for _ in range(4):
        observe(bob, outcome=1.0)
    event = rate(alice, bob, outcome=0.0)
    recompute_subject(bob.pk)
    client.force_login(bob)
    response = client.get("/trust/me/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Kept 4 of 5 commitments" not in html  # a test kind: the feedback is a separate kind
    assert "commitments in the last 90 days" in html
    assert f'name="event" value="{event.pk}"' in html
    assert alice.full_name not in html


def test_raising_a_dispute_in_the_browser_form_creates_it_and_redirects(client, alice, bob):
    event = rate(alice, bob, outcome=0.0)
    client.force_login(bob)
    response = client.post("/trust/me/disputes/", {"event": event.pk, "reason": "Not what happened."})
    assert response.status_code == 302
    assert TrustDispute.objects.get().reason == "Not what happened."


def test_an_empty_reason_re_renders_the_form_with_the_error_and_keeps_nothing(client, alice, bob):
    event = rate(alice, bob, outcome=0.0)
    client.force_login(bob)
    response = client.post("/trust/me/disputes/", {"event": event.pk, "reason": " "})
    assert response.status_code == 400
    assert "A reason is required" in response.content.decode()
    assert not TrustDispute.objects.exists()


def test_disputing_someone_elses_item_in_the_browser_is_not_found(client, alice, bob):
    event = rate(alice, bob, outcome=0.0)
    client.force_login(alice)
    assert client.post("/trust/me/disputes/", {"event": event.pk, "reason": "x"}).status_code == 404


def test_the_manager_upholds_a_dispute_from_the_queue_page(client, alice, bob, manager):
    event = rate(alice, bob, outcome=0.0)
    dispute = dispute_raise(user=bob, event_id=event.pk, reason="Wrong person.")
    client.force_login(manager)
    page = client.get("/trust/disputes/").content.decode()
    assert "Wrong person." in page
    response = client.post(
        f"/trust/disputes/{dispute.pk}/decide/", {"decision": "upheld", "note": "Confirmed."}
    )
    assert response.status_code == 302
    assert TrustEvent.objects.filter(voids=event).exists()
    client.force_login(bob)
    assert "Confirmed." in client.get("/trust/me/").content.decode()


def test_a_decision_without_a_note_shows_the_error(client, alice, bob, manager):
    event = rate(alice, bob, outcome=0.0)
    dispute = dispute_raise(user=bob, event_id=event.pk, reason="Wrong person.")
    client.force_login(manager)
    response = client.post(f"/trust/disputes/{dispute.pk}/decide/", {"decision": "upheld", "note": ""})
    assert response.status_code == 400
    assert "Explain the decision" in response.content.decode()
    assert TrustDispute.objects.get().state == "open"


def test_members_cannot_open_the_dispute_queue(client, alice):
    client.force_login(alice)
    assert client.get("/trust/disputes/").status_code == 403


def test_vouching_from_the_queue_page(client, bob, manager, skill):
    client.force_login(manager)
    response = client.post("/trust/vouch/", {"user": bob.pk, "skill": skill.pk})
    assert response.status_code == 302
    assert TrustEvent.objects.filter(subject=bob, source_kind="vouch").exists()
    # an unknown skill is a value in a valid page: the form again, with the field's error
    response = client.post("/trust/vouch/", {"user": bob.pk, "skill": "nope"})
    assert response.status_code == 400
    assert "Choose a skill" in response.content.decode()


def test_the_trust_card_tag_renders_for_colleagues_and_nothing_across_workspaces(alice, bob):
    for _ in range(5):
        observe(bob, dimension="responsiveness", outcome=1.0)
    recompute_subject(bob.pk)
    template = Template("{% load trust_tags %}{% trust_card person %}")
    request = RequestFactory().get("/")
    request.user = alice
    html = template.render(Context({"request": request, "person": bob}))
    assert "Trust · " in html and "Responsiveness" in html and "<meter" in html
    request.user = member(OrganizationFactory())
    assert "Trust · " not in template.render(Context({"request": request, "person": bob}))


def test_a_colleagues_trust_page_and_its_htmx_partial(client, alice, bob):
    client.force_login(alice)
    assert client.get(f"/trust/people/{bob.pk}/").status_code == 200
    partial = client.get(f"/trust/people/{bob.pk}/", headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    outsider = member(OrganizationFactory())
    client.force_login(outsider)
    assert client.get(f"/trust/people/{bob.pk}/").status_code == 404


def test_a_person_without_a_workspace_is_sent_to_start_one(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(email="loner@example.com", password="x" * 12))
    response = client.get("/trust/me/")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:workspace_start")


def test_a_manager_who_rated_the_item_sees_why_they_cannot_decide(client, bob, manager):
    event = rate(manager, bob, outcome=0.0)
    dispute = dispute_raise(user=bob, event_id=event.pk, reason="Wrong person.")
    client.force_login(manager)
    response = client.post(f"/trust/disputes/{dispute.pk}/decide/", {"decision": "rejected", "note": "Fine."})
    assert response.status_code == 403
    assert "Another talent manager must decide" in response.content.decode()
    assert TrustDispute.objects.get().state == "open"


def test_deciding_a_dispute_of_another_workspace_is_not_found(client, alice, bob):
    event = rate(alice, bob, outcome=0.0)
    dispute = dispute_raise(user=bob, event_id=event.pk, reason="Wrong person.")
    client.force_login(talent_manager(OrganizationFactory()))
    response = client.post(f"/trust/disputes/{dispute.pk}/decide/", {"decision": "upheld", "note": "Ok."})
    assert response.status_code == 404
    assert TrustDispute.objects.get().state == "open"
