"""The admin shows the ledger read-only; disputes are decided through the dispute flow only."""

import pytest

from tests.trust.factories import rate
from trust.services.disputes import dispute_raise

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser(email="root@example.com", password="x" * 12)
    client.force_login(admin)
    return client


def test_the_ledger_is_browsable_but_cannot_be_added_changed_or_deleted(staff_client, alice, bob):
    event = rate(alice, bob)
    assert staff_client.get("/admin/trust/trustevent/").status_code == 200
    assert staff_client.get("/admin/trust/trustevent/add/").status_code == 403
    detail = staff_client.get(f"/admin/trust/trustevent/{event.pk}/change/")
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert (
        staff_client.post(f"/admin/trust/trustevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    )


def test_disputes_cannot_be_changed_in_the_admin(staff_client, alice, bob):
    event = rate(alice, bob, outcome=0.0)
    dispute = dispute_raise(user=bob, event_id=event.pk, reason="wrong")
    response = staff_client.post(f"/admin/trust/trustdispute/{dispute.pk}/change/", {"state": "upheld"})
    assert response.status_code == 403
    dispute.refresh_from_db()
    assert dispute.state == "open"
