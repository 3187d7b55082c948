"""accounts.access: the one home of membership and role checks — the functions services
call, the HTML decorators, and the request's membership loaded at most once."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse

from accounts.access import (
    active_membership,
    is_talent_manager,
    is_talent_manager_of,
    member_required,
    membership_of,
    require_membership,
    require_talent_manager,
    talent_manager_required,
)
from accounts.context_processors import workspace
from accounts.middleware import WorkspaceMiddleware
from accounts.models import Membership
from core.errors import PermissionDenied
from mentoring.config.urls import urlpatterns as project_urlpatterns
from tests.clients import client_for
from tests.factories import UserFactory, member, talent_manager

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@member_required
def members_page(request):
    return HttpResponse(f"member of {membership_of(request).organization_id}")


@talent_manager_required
def managers_page(request, membership):
    return HttpResponse(f"manager of {membership.organization_id}")


urlpatterns = [
    path("test-access/member/", members_page),
    path("test-access/manager/", managers_page),
    *project_urlpatterns,
]

MEMBER_PAGE = "/test-access/member/"
MANAGER_PAGE = "/test-access/manager/"


def login_target(response) -> str:
    """The ``next`` a login redirect carries (and that it is the login page)."""
    url = urlsplit(response["Location"])
    assert url.path == reverse("account_login")
    return parse_qs(url.query)["next"][0]


# --- member_required -------------------------------------------------------------------


@pytest.mark.parametrize("page", [MEMBER_PAGE, MANAGER_PAGE])
def test_anonymous_visitors_go_to_log_in_and_come_back_to_the_full_address(client, page):
    response = client.get(page, {"q": "terraform", "page": "2"})

    assert response.status_code == 302
    assert login_target(response) == f"{page}?q=terraform&page=2"


def test_a_member_sees_a_member_page(org):
    response = client_for(member(org)).get(MEMBER_PAGE)

    assert response.status_code == 200
    assert response.content.decode() == f"member of {org.pk}"


def test_someone_without_a_workspace_is_sent_to_start_one():
    response = client_for(UserFactory()).get(MEMBER_PAGE)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:workspace_start")


def test_a_deactivated_membership_counts_as_no_workspace(org):
    user = member(org)
    Membership.objects.filter(user=user).update(is_active=False)

    response = client_for(user).get(MEMBER_PAGE)

    assert response["Location"] == reverse("accounts:workspace_start")


# --- talent_manager_required -----------------------------------------------------------------


def test_a_talent_manager_page_gets_the_managers_membership(org):
    response = client_for(talent_manager(org)).get(MANAGER_PAGE)

    assert response.status_code == 200
    assert response.content.decode() == f"manager of {org.pk}"


def test_a_member_gets_the_talent_managers_only_page(org):
    response = client_for(member(org)).get(MANAGER_PAGE)

    assert response.status_code == 403
    assert "Talent managers only" in response.content.decode()


def test_someone_without_a_workspace_is_asked_to_create_or_join_one_first():
    response = client_for(UserFactory()).get(MANAGER_PAGE)

    assert response["Location"] == reverse("accounts:workspace_start")
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Create or join a workspace first."]


# --- one membership query per request -------------------------------------------------------------


def request_through_middleware(rf, user, view):
    request = rf.get("/")
    request.user = user
    return WorkspaceMiddleware(view)(request)


def test_the_membership_is_loaded_once_however_often_it_is_read(rf, org, django_assert_num_queries):
    user = member(org)

    def view(request):
        for _ in range(3):
            membership_of(request)
        context = workspace(request)
        assert context["workspace"].pk == org.pk  # the workspace comes with it
        assert context["is_talent_manager"] is False
        return HttpResponse("ok")

    with django_assert_num_queries(1):
        request_through_middleware(rf, user, view)


def test_a_request_that_never_asks_costs_no_query(rf, org, django_assert_num_queries):
    user = member(org)

    with django_assert_num_queries(0):
        request_through_middleware(rf, user, lambda request: HttpResponse("ok"))


def test_no_membership_is_remembered_too(rf, django_assert_num_queries):
    user = UserFactory()

    def view(request):
        assert membership_of(request) is None
        assert membership_of(request) is None
        assert workspace(request)["membership"] is None
        return HttpResponse("ok")

    with django_assert_num_queries(1):
        request_through_middleware(rf, user, view)


def test_anonymous_visitors_cost_no_membership_query(rf, django_assert_num_queries):
    def view(request):
        assert membership_of(request) is None
        return HttpResponse("ok")

    with django_assert_num_queries(0):
        request_through_middleware(rf, AnonymousUser(), view)


def test_a_talent_manager_page_in_the_full_layout_reads_the_membership_once(org):
    client = client_for(talent_manager(org))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("accounts:workspace_domains"))  # decorator, view, layout

    assert response.status_code == 200
    membership_reads = [
        q["sql"] for q in queries.captured_queries if 'FROM "accounts_membership"' in q["sql"]
    ]
    assert len(membership_reads) == 1, membership_reads


# --- the functions services call ----------------------------------------------------------------


def test_active_membership_is_none_for_anonymous_and_people_without_a_workspace():
    assert active_membership(None) is None
    assert active_membership(AnonymousUser()) is None
    assert active_membership(UserFactory()) is None


def test_require_membership_returns_the_membership_with_its_workspace(org, django_assert_num_queries):
    user = member(org)

    membership = require_membership(user)

    with django_assert_num_queries(0):
        assert membership.organization.name == org.name


@pytest.mark.parametrize("deactivated", [False, True], ids=["no workspace", "deactivated"])
def test_require_membership_refuses_anyone_without_an_active_one(org, deactivated):
    user = member(org) if deactivated else UserFactory()
    Membership.objects.filter(user=user).update(is_active=False)

    with pytest.raises(PermissionDenied, match="active workspace membership"):
        require_membership(user)


def test_require_talent_manager_returns_the_managers_membership(org):
    manager = talent_manager(org)

    assert require_talent_manager(manager).organization_id == org.pk


@pytest.mark.parametrize("who", ["member", "outsider", "deactivated manager"])
def test_require_talent_manager_refuses_everyone_else(org, who):
    if who == "member":
        user = member(org)
    elif who == "outsider":
        user = UserFactory()
    else:
        user = talent_manager(org)
        Membership.objects.filter(user=user).update(is_active=False)

    with pytest.raises(PermissionDenied, match="Only a talent manager"):
        require_talent_manager(user)


def test_is_talent_manager_of_is_about_one_workspace(org, other_org):
    manager = talent_manager(org)

    assert is_talent_manager_of(manager, org.pk)
    assert not is_talent_manager_of(manager, other_org.pk)
    assert not is_talent_manager_of(member(org), org.pk)


def test_is_talent_manager_needs_an_active_manager_membership(org):
    manager = talent_manager(org)
    membership = manager.membership

    assert is_talent_manager(membership)
    assert not is_talent_manager(None)
    membership.is_active = False
    assert not is_talent_manager(membership)
    assert not is_talent_manager(member(org).membership)


# --- one membership query per read request, selectors included ---------------------------------


def membership_queries(queries) -> int:
    return sum('FROM "accounts_membership"' in query["sql"] for query in queries)


def test_selectors_asking_for_the_viewers_membership_during_a_read_share_the_requests(rf, org):
    user = member(org)

    def view(request):
        for _ in range(3):
            assert active_membership(user).organization_id == org.pk
        assert membership_of(request).organization_id == org.pk
        return HttpResponse("ok")

    with CaptureQueriesContext(connection) as queries:
        request_through_middleware(rf, user, view)

    assert membership_queries(queries.captured_queries) == 1


def test_a_write_reads_the_membership_afresh(rf, org):
    user = member(org)

    def view(request):
        Membership.objects.filter(user=user).update(role=Membership.Role.TALENT_MANAGER)
        assert active_membership(user).is_talent_manager  # the write's change is seen
        return HttpResponse("ok")

    request = rf.post("/")
    request.user = user
    WorkspaceMiddleware(view)(request)


def test_another_persons_membership_is_not_the_requests(rf, org):
    viewer, other = member(org), talent_manager(org)

    def view(request):
        assert active_membership(other).user_id == other.pk
        assert active_membership(viewer).user_id == viewer.pk
        return HttpResponse("ok")

    request_through_middleware(rf, viewer, view)
    assert active_membership(viewer).user_id == viewer.pk  # outside a request: a plain read


def test_the_directory_page_reads_the_membership_once(org):
    client = client_for(member(org))

    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("accounts:directory")).status_code == 200

    assert membership_queries(queries.captured_queries) == 1
