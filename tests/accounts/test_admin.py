"""The Django admin: every accounts model is registered with list columns,
filters and search that work, and the audit log cannot be edited there."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import (
    AuditEntry,
    Expertise,
    InviteLink,
    LearningGoal,
    Membership,
    Organization,
    Profile,
    Skill,
    SkillAlias,
    User,
    UserSession,
    WorkspaceDomain,
)
from accounts.services import workspaces as services
from tests.factories import (
    ExpertiseFactory,
    InviteLinkFactory,
    LearningGoalFactory,
    OrganizationFactory,
    SkillFactory,
    talent_manager,
)

ACCOUNTS_MODELS = [
    User,
    Organization,
    WorkspaceDomain,
    Membership,
    InviteLink,
    Profile,
    Skill,
    SkillAlias,
    Expertise,
    LearningGoal,
    AuditEntry,
    UserSession,
]


def _workspace(name, domain, manager_name):
    org = OrganizationFactory(name=name)
    manager = talent_manager(org, full_name=manager_name)
    services.domain_add(actor=manager, domain=domain)
    services.invite_create(actor=manager, note="Interns")
    skill = SkillFactory(organization=org, name="Terraform")
    SkillAlias.objects.create(skill=skill, organization=org, name="tf")
    ExpertiseFactory(user=manager, skill=skill)
    LearningGoalFactory(user=manager, skill=SkillFactory(organization=org, name="Go"))
    InviteLinkFactory(organization=org)
    UserSession.objects.create(user=manager, session_key=domain.ljust(32, "k"))
    return org


@pytest.fixture
def populated(db):
    # two workspaces, so the per-workspace filters have something to choose from
    _workspace("Globex", "globex.com", "Gus Globex")
    return _workspace("Acme", "acme.com", "Mona Manager")


@pytest.fixture
def admin_client(client, db):
    superuser = User.objects.create_superuser(email="root@tandem.test", password="x")
    client.force_login(superuser)
    return client


def changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.mark.parametrize("model", ACCOUNTS_MODELS, ids=lambda m: m.__name__)
def test_every_accounts_model_is_registered_with_columns_filters_and_search(model):
    model_admin = admin.site._registry.get(model)

    assert model_admin is not None, f"{model.__name__} is not in the admin"
    assert len(model_admin.list_display) > 1
    assert model_admin.search_fields


@pytest.mark.parametrize("model", ACCOUNTS_MODELS, ids=lambda m: m.__name__)
def test_every_changelist_loads_searches_and_filters(admin_client, populated, model):
    url = changelist(model)
    model_admin = admin.site._registry[model]
    assert model_admin.list_filter

    listing = admin_client.get(url)
    searched = admin_client.get(url, {"q": "acme"})

    assert listing.status_code == 200
    assert listing.context["cl"].result_count == model.objects.count() > 0
    assert searched.status_code == 200
    assert 0 < len(listing.context["cl"].filter_specs) <= len(model_admin.list_filter)
    for spec in listing.context["cl"].filter_specs:
        for choice in list(spec.choices(listing.context["cl"]))[:3]:
            filtered = admin_client.get(url + choice["query_string"])
            assert filtered.status_code == 200, (spec.title, choice["query_string"])
            assert "cl" in filtered.context, (spec.title, choice["query_string"])
    change = admin_client.get(
        reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[model.objects.first().pk]
        )
    )
    assert change.status_code == 200


def test_searching_members_by_email_finds_them(admin_client, populated):
    response = admin_client.get(changelist(Membership), {"q": "Mona"})

    assert [m.user.full_name for m in response.context["cl"].result_list] == ["Mona Manager"]


def test_audit_entries_are_read_only_in_the_admin(admin_client, populated):
    entry = AuditEntry.objects.first()
    before = AuditEntry.objects.count()

    add = admin_client.get(reverse("admin:accounts_auditentry_add"))
    change_page = admin_client.get(reverse("admin:accounts_auditentry_change", args=[entry.pk]))
    post = admin_client.post(
        reverse("admin:accounts_auditentry_change", args=[entry.pk]), {"action": "tampered"}
    )
    delete = admin_client.post(reverse("admin:accounts_auditentry_delete", args=[entry.pk]), {"post": "yes"})

    assert add.status_code == 403
    assert change_page.status_code == 200
    assert 'name="action"' not in change_page.content.decode()
    assert post.status_code == 403
    assert delete.status_code == 403
    entry.refresh_from_db()
    assert entry.action != "tampered"
    assert AuditEntry.objects.count() == before


def test_admin_can_create_a_user_by_email(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "New@Acme.com",
            "usable_password": "true",
            "password1": "plum-orbit-canyon-42",
            "password2": "plum-orbit-canyon-42",
            "membership-TOTAL_FORMS": "0",
            "membership-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    assert User.objects.filter(email="new@acme.com").exists()
