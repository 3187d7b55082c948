"""The people directory: the selector (shared with the REST API) and the page."""

import html
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from accounts import working_hours as wh
from accounts.models import Membership, User
from accounts.selectors.profiles import directory_profiles
from accounts.services.profiles import expertise_set, profile_update
from accounts.services.skills import skill_create
from core import clock
from tests.factories import OrganizationFactory, UserFactory, member

pytestmark = pytest.mark.django_db

WINTER = datetime(2026, 1, 14, 12, tzinfo=ZoneInfo("UTC"))


def names(profiles) -> list[str]:
    return [p.user.full_name for p in profiles]


@pytest.fixture
def acme():
    """A small workspace: a viewer in Berlin and four colleagues, plus an outsider."""
    org = OrganizationFactory(name="Acme")
    terraform = skill_create(organization=org, name="Terraform", aliases=["tf"])
    kubernetes = skill_create(organization=org, name="Kubernetes", aliases=["k8s"])
    people = {}
    with clock.travel_to(WINTER):
        for full_name, zone, headline, bio, mentor in [
            ("Viktor Viewer", "Europe/Berlin", "Backend", "", False),
            ("Priya Raman", "Asia/Kolkata", "Platform engineer", "Infrastructure as code.", True),
            ("Hiroshi Tanaka", "Asia/Tokyo", "SRE", "On-call veteran.", True),
            ("Emily Carter", "America/New_York", "Data scientist", "Loves *terraforming* Mars.", False),
            ("Lars Eriksson", "Europe/Stockholm", "Infra", "Quiet achiever.", False),
        ]:
            user = member(org, full_name=full_name)
            profile_update(
                user=user,
                timezone=zone,
                working_hours=wh.DEFAULT_WORKING_HOURS,
                headline=headline,
                bio=bio,
                open_to_mentor=mentor,
            )
            people[full_name.split()[0].lower()] = user
    expertise_set(user=people["priya"], skill_id=terraform.pk, level=5)
    expertise_set(user=people["hiroshi"], skill_id=kubernetes.pk, level=5)
    expertise_set(user=people["hiroshi"], skill_id=terraform.pk, level=2)
    expertise_set(user=people["lars"], skill_id=terraform.pk, level=3)
    outsider = member(OrganizationFactory(), full_name="Olga Outsider")
    profile_update(user=outsider, headline="Terraform guru", open_to_mentor=True)
    return {"org": org, "terraform": terraform, "kubernetes": kubernetes, "outsider": outsider, **people}


# --- selector -----------------------------------------------------------------------


def test_directory_lists_only_active_members_of_the_viewers_workspace(acme):
    leaver = member(acme["org"], full_name="Dora Deactivated")
    Membership.objects.filter(user=leaver).update(is_active=False)
    inactive_user = member(acme["org"], full_name="Ian Inactive")
    User.objects.filter(pk=inactive_user.pk).update(is_active=False)
    assert names(directory_profiles(acme["viktor"])) == [
        "Emily Carter",
        "Hiroshi Tanaka",
        "Lars Eriksson",
        "Priya Raman",
        "Viktor Viewer",
    ]


def test_someone_without_a_workspace_sees_nobody(acme):
    assert list(directory_profiles(UserFactory())) == []


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("priya", ["Priya Raman"]),  # name
        ("PLATFORM", ["Priya Raman"]),  # headline, any case
        ("on-call", ["Hiroshi Tanaka"]),  # bio
        ("k8s", ["Hiroshi Tanaka"]),  # skill alias
        (
            "terraform",
            ["Emily Carter", "Hiroshi Tanaka", "Lars Eriksson", "Priya Raman"],
        ),  # skill name or bio
        ("terraform sre", ["Hiroshi Tanaka"]),  # every term must match somewhere
        ("guru", []),  # the outsider's headline is not searchable from here
    ],
)
def test_search_matches_name_headline_bio_and_skills_case_insensitively(acme, q, expected):
    assert names(directory_profiles(acme["viktor"], q=q)) == expected


def test_a_person_matching_through_several_skills_is_listed_once(acme):
    expertise_set(user=acme["lars"], skill_id=acme["kubernetes"].pk, level=4)
    assert names(directory_profiles(acme["viktor"], q="e")).count("Lars Eriksson") == 1


def test_skill_and_minimum_level_filters(acme):
    viewer = acme["viktor"]
    terraform = acme["terraform"].pk
    assert names(directory_profiles(viewer, skill_id=terraform)) == [
        "Hiroshi Tanaka",
        "Lars Eriksson",
        "Priya Raman",
    ]
    assert names(directory_profiles(viewer, skill_id=terraform, min_level=3)) == [
        "Lars Eriksson",
        "Priya Raman",
    ]
    assert names(directory_profiles(viewer, min_level=5)) == ["Hiroshi Tanaka", "Priya Raman"]


def test_a_skill_id_from_another_workspace_matches_nobody(acme):
    foreign = skill_create(organization=acme["outsider"].membership.organization, name="Terraform")
    expertise_set(user=acme["outsider"], skill_id=foreign.pk, level=5)
    assert list(directory_profiles(acme["viktor"], skill_id=foreign.pk)) == []


def test_open_to_mentor_filter(acme):
    assert names(directory_profiles(acme["viktor"], open_to_mentor=True)) == ["Hiroshi Tanaka", "Priya Raman"]


def test_overlap_filter_keeps_people_sharing_enough_working_hours(acme):
    viewer = acme["viktor"]  # Berlin 09–17 = 08–16 UTC in winter
    # Stockholm: same hours (40 h); Kolkata 03:30–11:30 UTC: 4 h a day (20 h);
    # New York 14–22 UTC: 2 h a day (10 h); Tokyo 00–08 UTC: none.
    assert names(directory_profiles(viewer, overlap_min_hours=40)) == ["Lars Eriksson", "Viktor Viewer"]
    assert names(directory_profiles(viewer, overlap_min_hours=15)) == [
        "Lars Eriksson",
        "Priya Raman",
        "Viktor Viewer",
    ]
    assert "Hiroshi Tanaka" not in names(directory_profiles(viewer, overlap_min_hours=1))
    assert "Emily Carter" in names(directory_profiles(viewer, overlap_min_hours=10))


def test_overlap_filter_for_a_viewer_without_hours_matches_nobody(acme):
    profile_update(user=acme["viktor"], working_hours=[])
    assert list(directory_profiles(acme["viktor"], overlap_min_hours=1)) == []


def test_filters_combine(acme):
    result = directory_profiles(
        acme["viktor"],
        q="engineer",
        skill_id=acme["terraform"].pk,
        min_level=4,
        open_to_mentor=True,
        overlap_min_hours=5,
    )
    assert names(result) == ["Priya Raman"]


@pytest.fixture
def crowded(client):
    """A viewer with 30 colleagues, each with three skills."""
    org = OrganizationFactory()
    skills = [skill_create(organization=org, name=f"Skill {n}", aliases=[f"s{n}"]) for n in range(5)]
    viewer = member(org, full_name="Viewer Person")
    profile_update(user=viewer, working_hours=wh.DEFAULT_WORKING_HOURS)
    for n in range(30):
        person = member(org, full_name=f"Person {n:02d}")
        profile_update(
            user=person, working_hours=wh.DEFAULT_WORKING_HOURS, open_to_mentor=True, headline="engineer"
        )
        for skill in skills[n % 3 : n % 3 + 3]:
            expertise_set(user=person, skill_id=skill.pk, level=3)
    client.force_login(viewer)
    return viewer


@pytest.mark.parametrize("page_size", [5, 20])
def test_rendering_a_directory_page_costs_the_same_queries_whatever_the_page_size(
    client, settings, crowded, django_assert_num_queries, page_size
):
    # session, user, membership (once for the whole request), skills (filter choices),
    # viewer's mask + overlap candidates (overlap filter), count, viewer's profile
    # (empty-state hint), page of profiles + users, expertise + skills (one prefetch
    # for the whole page), unread notifications (the bell)
    settings.TANDEM_DIRECTORY_PAGE_SIZE = page_size
    with django_assert_num_queries(11):
        response = client.get("/people/", {"open_to_mentor": "on", "overlap": "1", "q": "e"})
    assert len(response.context["page"].object_list) == page_size
    assert response.content.decode().count('class="person-card"') == page_size


def test_selector_page_with_prefetched_expertise_is_three_queries(crowded, django_assert_num_queries):
    # membership, page (profiles joined with users), expertise joined with skills
    with django_assert_num_queries(3):
        profiles = list(directory_profiles(crowded)[:20])
        skills = [e.skill.name for p in profiles for e in p.user.expertise.all()]
    assert len(profiles) == 20
    assert len(skills) == 60


# --- page -------------------------------------------------------------------------


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def test_directory_page_lists_people_with_their_skills(client, acme):
    client.force_login(acme["viktor"])
    response = client.get("/people/")
    text = page_text(response)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Priya Raman" in text and "Terraform · 5/5" in text
    assert "Olga Outsider" not in text
    assert 'id="directory-results" aria-live="polite"' in body
    assert 'hx-get="/people/"' in body and 'hx-push-url="true"' in body
    assert '<label for="id_q">' in body


def test_htmx_requests_get_only_the_results_region(client, acme):
    client.force_login(acme["viktor"])
    response = client.get("/people/", {"q": "k8s"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body
    assert "Hiroshi Tanaka" in body and "Priya Raman" not in body
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_full_page(client, acme):
    client.force_login(acme["viktor"])
    response = client.get(
        "/people/", {"q": "k8s"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.content.decode()


def test_empty_result_says_what_to_try(client, acme):
    client.force_login(acme["viktor"])
    response = client.get("/people/", {"q": "cobol", "min_level": "5", "open_to_mentor": "on"})
    text = page_text(response)
    assert "No one matches these filters" in text
    assert "Try a shorter search" in text
    assert "Lower the minimum level" in text
    assert "Clear all filters" in text


def test_empty_overlap_result_tells_a_viewer_without_hours_to_add_them(client, acme):
    profile_update(user=acme["viktor"], working_hours=[])
    client.force_login(acme["viktor"])
    text = page_text(client.get("/people/", {"overlap": "3"}))
    assert "Add your own working hours" in text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"min_level": "9"}, "Minimum level"),
        ({"overlap": "-2"}, "Overlap with my hours"),
        ({"overlap": "lots"}, "Overlap with my hours"),
        ({"skill": "abc"}, "Skill"),
    ],
)
def test_invalid_filters_are_reported_not_ignored(client, acme, params, field):
    client.force_login(acme["viktor"])
    response = client.get("/people/", params)
    assert response.status_code == 400
    text = page_text(response)
    assert "Some filters are not valid" in text
    assert field in text
    assert "Priya Raman" not in text


def test_a_skill_filter_from_another_workspace_is_an_invalid_choice(client, acme):
    foreign = skill_create(organization=acme["outsider"].membership.organization, name="Secret")
    client.force_login(acme["viktor"])
    response = client.get("/people/", {"skill": str(foreign.pk)})
    assert response.status_code == 400
    assert "Secret" not in page_text(response)


def test_pagination_keeps_the_filters(client, settings, acme):
    settings.TANDEM_DIRECTORY_PAGE_SIZE = 2
    client.force_login(acme["viktor"])
    first = client.get("/people/", {"q": "e"})
    assert "page 1 of 3" in page_text(first)
    assert "?q=e&amp;page=2" in first.content.decode()
    second = client.get("/people/", {"q": "e", "page": "2"})
    assert names(second.context["page"].object_list) == ["Lars Eriksson", "Priya Raman"]
    beyond = client.get("/people/", {"q": "e", "page": "99"})
    assert beyond.context["page"].number == 3
