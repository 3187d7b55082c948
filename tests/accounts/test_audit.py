"""accounts.audit.audit_record: the one writer of the workspace audit log."""

import pytest
from django.db import transaction

from accounts.audit import audit_record
from accounts.models import AuditEntry
from accounts.services import workspaces as services
from tests.factories import InviteLinkFactory, talent_manager

pytestmark = pytest.mark.django_db


def test_a_row_target_fills_the_target_type_and_id(org):
    manager = talent_manager(org)
    invite = InviteLinkFactory(organization=org)

    entry = audit_record(
        organization_id=org.pk, actor=manager, action="invite.revoked", target=invite, details={"note": ""}
    )

    entry.refresh_from_db()
    assert (entry.organization_id, entry.actor, entry.action) == (org.pk, manager, "invite.revoked")
    assert (entry.target_type, entry.target_id) == ("invitelink", str(invite.pk))
    assert entry.details == {"note": ""}


def test_something_that_is_not_a_row_is_named_directly(org):
    manager = talent_manager(org)

    entry = audit_record(
        organization_id=org.pk, actor=manager, action="dashboard.view_overview", target_type="dashboard"
    )

    entry.refresh_from_db()
    assert (entry.target_type, entry.target_id, entry.details) == ("dashboard", "", {})


@pytest.mark.parametrize("target_id, stored", [(None, ""), ("", ""), (42, "42"), ("cohort-7", "cohort-7")])
def test_target_ids_are_stored_as_text_and_a_missing_one_as_empty(org, target_id, stored):
    entry = audit_record(
        organization_id=org.pk, actor=None, action="program.view", target_type="program", target_id=target_id
    )

    entry.refresh_from_db()
    assert entry.target_id == stored


def test_the_row_exists_exactly_when_the_change_it_describes_does(org):
    manager = talent_manager(org)

    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(organization_id=org.pk, actor=manager, action="domain.added", target_type="domain")
        raise RuntimeError("the change failed after the audit row was written")

    assert not AuditEntry.objects.exists()


def test_workspace_services_write_their_rows_through_it(org):
    manager = talent_manager(org)

    row = services.domain_add(actor=manager, domain="acme.example")
    services.domain_remove(actor=manager, domain_id=row.pk)

    entries = list(
        AuditEntry.objects.order_by("id").values_list("action", "target_type", "target_id", "details")
    )
    assert entries == [
        ("domain.added", "workspacedomain", str(row.pk), {"domain": "acme.example"}),
        ("domain.removed", "workspacedomain", str(row.pk), {"domain": "acme.example"}),
    ]
