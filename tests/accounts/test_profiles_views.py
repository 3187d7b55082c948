"""Onboarding, the profile edit page and the profile page, through HTTP."""

import html
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts import working_hours as wh
from accounts.models import Expertise, LearningGoal, Membership, Profile, Skill
from accounts.services.profiles import expertise_set, learning_goal_add, profile_update
from accounts.services.skills import skill_create
from core import clock
from tests.factories import OrganizationFactory, SkillFactory, UserFactory, member

pytestmark = pytest.mark.django_db

WINTER = datetime(2026, 1, 14, 12, tzinfo=ZoneInfo("UTC"))


def hours_post(rows, *, initial=0):
    """POST data for the working-hours rows: rows are (day, start, end) or (day, start, end, delete)."""
    data = {
        "wh-TOTAL_FORMS": str(len(rows)),
        "wh-INITIAL_FORMS": str(initial),
        "wh-MIN_NUM_FORMS": "0",
        "wh-MAX_NUM_FORMS": "21",
    }
    for i, row in enumerate(rows):
        day, start, end = row[:3]
        data[f"wh-{i}-day"] = "" if day is None else str(day)
        data[f"wh-{i}-start"] = start
        data[f"wh-{i}-end"] = end
        if len(row) > 3 and row[3]:
            data[f"wh-{i}-DELETE"] = "on"
    return data


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def profile_state(user):
    profile = Profile.objects.get(user=user)
    return (profile.timezone, profile.working_hours, profile.capacity, profile.utc_week_mask, profile.bio)


@pytest.fixture
def newcomer(client):
    user = member(onboarded=False, full_name="")
    client.force_login(user)
    return user


# --- onboarding ------------------------------------------------------------------------


def test_without_a_workspace_onboarding_sends_you_to_start_one(client):
    client.force_login(UserFactory())
    for url in ("/onboarding/", "/onboarding/2/", "/me/profile/", "/people/", "/people/1/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url == reverse("accounts:workspace_start")


def test_deactivated_member_is_treated_as_having_no_workspace(client):
    user = member()
    Membership.objects.filter(user=user).update(is_active=False)
    client.force_login(user)
    assert client.get("/people/").url == reverse("accounts:workspace_start")


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/onboarding/1/")
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_onboarding_walks_through_four_steps_and_lands_home(client, newcomer):
    org = newcomer.membership.organization
    terraform = skill_create(organization=org, name="Terraform", aliases=["tf"])

    assert client.get("/onboarding/").url == "/onboarding/1/"
    first = client.get("/onboarding/1/")
    assert "Step 1 of 4" in page_text(first)

    response = client.post(
        "/onboarding/1/", {"full_name": "Jonas Weber", "headline": "Backend", "bio": "Hi *there*"}
    )
    assert response.url == "/onboarding/2/"

    second = client.get("/onboarding/2/")
    assert "Step 2 of 4" in page_text(second)
    assert "data-guess-timezone" in second.content.decode()  # the browser may propose its zone
    rows = [(0, "09:00", "12:00"), (0, "13:00", "17:00"), (2, "10:00", "00:00"), (None, "", "")]
    with clock.travel_to(WINTER):
        response = client.post(
            "/onboarding/2/", {"timezone": "Europe/Berlin", "capacity": "3", **hours_post(rows)}
        )
    assert response.url == "/onboarding/3/"

    response = client.post(
        "/onboarding/3/",
        {"work_mode": "async", "cadence": "weekly", "feedback_style": "direct", "open_to_mentor": "on"},
    )
    assert response.url == "/onboarding/4/"

    response = client.post(
        "/onboarding/4/",
        {"action": "expertise_add", "exp-skill": "Python", "exp-level": "4", "exp-years": "6"},
    )
    assert response.url == "/onboarding/4/"
    response = client.post(
        "/onboarding/4/",
        {"action": "goal_add", "goal-skill": "", "goal-skill_id": str(terraform.pk), "goal-note": ""},
    )
    assert response.url == "/onboarding/4/"
    assert "Step 4 of 4" in page_text(client.get("/onboarding/4/"))

    response = client.post("/onboarding/4/", {"action": "finish"})
    assert response.url == reverse("home")

    newcomer.refresh_from_db()
    profile = Profile.objects.get(user=newcomer)
    assert newcomer.full_name == "Jonas Weber"
    assert profile.bio_html == "<p>Hi <em>there</em></p>\n"
    assert profile.timezone == "Europe/Berlin"
    assert profile.working_hours == [
        {"day": 0, "start": "09:00", "end": "12:00"},
        {"day": 0, "start": "13:00", "end": "17:00"},
        {"day": 2, "start": "10:00", "end": "24:00"},
    ]
    assert wh.hex_to_mask(profile.utc_week_mask).bit_count() == 3 + 4 + 14
    assert (profile.capacity, profile.work_mode, profile.open_to_mentor, profile.seeking) == (
        3,
        "async",
        True,
        False,
    )
    assert profile.onboarded_at is not None
    assert Expertise.objects.get(user=newcomer).skill.name == "Python"
    assert LearningGoal.objects.get(user=newcomer).skill == terraform


def test_finishing_onboarding_saves_a_skill_typed_but_not_yet_added(client, newcomer):
    response = client.post(
        "/onboarding/4/",
        {
            "action": "finish",
            "exp-skill": "Terraform",
            "exp-level": "2",
            "goal-skill": "Rust",
            "goal-note": "",
        },
    )
    assert response.url == reverse("home")
    assert Expertise.objects.get(user=newcomer).skill.name == "Terraform"
    assert LearningGoal.objects.get(user=newcomer).skill.name == "Rust"
    assert Profile.objects.get(user=newcomer).onboarded_at is not None


def test_finishing_with_a_bad_typed_skill_shows_the_error_and_does_not_finish(client, newcomer):
    response = client.post(
        "/onboarding/4/",
        {"action": "finish", "exp-skill": "Terraform", "exp-level": "9", "goal-skill": "Rust"},
    )
    assert response.status_code == 400
    assert "Level must be between 1 (familiar) and 5 (expert), not 9" in page_text(response)
    assert 'value="Terraform"' in response.content.decode()  # what was typed is still there
    assert LearningGoal.objects.get(user=newcomer).skill.name == "Rust"  # the valid part is kept
    assert not Expertise.objects.exists()
    assert Profile.objects.get(user=newcomer).onboarded_at is None


def test_pressing_either_add_button_saves_both_filled_parts(client, newcomer):
    response = client.post(
        "/me/profile/",
        {
            "section": "goal_add",
            "exp-skill": "Go",
            "exp-level": "3",
            "goal-skill": "Rust",
            "goal-note": "soon",
        },
    )
    assert response.status_code == 302
    assert Expertise.objects.get(user=newcomer).skill.name == "Go"
    assert LearningGoal.objects.get(user=newcomer).note == "soon"


def test_adding_with_nothing_typed_asks_for_a_skill(client, newcomer):
    response = client.post("/me/profile/", {"section": "expertise_add", "exp-skill": "", "exp-level": "3"})
    assert response.status_code == 400
    assert "Type a skill name or pick one from the suggestions." in page_text(response)


def test_onboarding_prefills_office_hours_for_a_newcomer():
    user = member(onboarded=False)
    from django.test import Client

    client = Client()
    client.force_login(user)
    body = client.get("/onboarding/2/").content.decode()
    assert 'name="wh-4-day"' in body
    assert 'value="09:00"' in body


def test_onboarding_step_out_of_range_is_404(client, newcomer):
    assert client.get("/onboarding/5/").status_code == 404
    assert client.get("/onboarding/0/").status_code == 404


def test_home_sends_a_member_who_has_not_finished_onboarding_there(client, newcomer):
    assert client.get("/").url == reverse("accounts:onboarding")


# --- bad input on the pages: the field error shows, nothing is half-saved ----------------


def test_unknown_time_zone_shows_a_field_error_and_saves_nothing(client, newcomer):
    before = profile_state(newcomer)
    response = client.post(
        "/onboarding/2/",
        {"timezone": "Atlantis/Capital", "capacity": "5", **hours_post([(0, "09:00", "17:00")])},
    )
    assert response.status_code == 400
    text = page_text(response)
    assert "“Atlantis/Capital” is not a known IANA time zone" in text
    assert 'aria-invalid="true"' in response.content.decode()
    assert profile_state(newcomer) == before


def test_overlapping_windows_show_an_error_naming_them(client, newcomer):
    before = profile_state(newcomer)
    rows = [(1, "09:00", "13:00"), (1, "12:00", "17:00")]
    response = client.post("/onboarding/2/", {"timezone": "UTC", "capacity": "2", **hours_post(rows)})
    assert response.status_code == 400
    assert "Tuesday: 09:00–13:00 overlaps 12:00–17:00" in page_text(response)
    assert 'id="working-hours-errors" role="alert"' in response.content.decode()
    assert profile_state(newcomer) == before


def test_inverted_window_shows_an_error(client, newcomer):
    before = profile_state(newcomer)
    response = client.post(
        "/onboarding/2/", {"timezone": "UTC", "capacity": "2", **hours_post([(4, "17:00", "09:00")])}
    )
    assert response.status_code == 400
    assert "Window 1 (Friday): the start (17:00) must be before the end (09:00)" in page_text(response)
    assert profile_state(newcomer) == before


def test_a_half_filled_row_is_reported_not_dropped(client, newcomer):
    before = profile_state(newcomer)
    response = client.post(
        "/onboarding/2/", {"timezone": "UTC", "capacity": "2", **hours_post([(3, "09:00", "")])}
    )
    assert response.status_code == 400
    assert "Row 1: This row needs an end" in page_text(response)
    assert profile_state(newcomer) == before


def test_removing_a_row_deletes_that_window(client):
    user = member()
    profile_update(user=user, working_hours=wh.DEFAULT_WORKING_HOURS)
    client.force_login(user)
    rows = [(d, "09:00", "17:00", d == 4) for d in range(5)]
    response = client.post(
        "/me/profile/",
        {"section": "availability", "timezone": "UTC", "capacity": "2", **hours_post(rows, initial=5)},
    )
    assert response.status_code == 302
    assert [w["day"] for w in Profile.objects.get(user=user).working_hours] == [0, 1, 2, 3]


@pytest.mark.parametrize(("capacity", "message"), [("-1", "can't be negative"), ("500", "use at most 20")])
def test_capacity_out_of_range_shows_a_field_error(client, newcomer, capacity, message):
    before = profile_state(newcomer)
    response = client.post(
        "/onboarding/2/", {"timezone": "Asia/Tokyo", "capacity": capacity, **hours_post([])}
    )
    assert response.status_code == 400
    assert message in page_text(response)
    assert profile_state(newcomer) == before


def test_oversized_bio_shows_a_field_error_and_keeps_the_old_bio(client, newcomer):
    profile_update(user=newcomer, bio="original")
    response = client.post(
        "/me/profile/", {"section": "about", "full_name": "Jo", "headline": "", "bio": "b" * 5001}
    )
    assert response.status_code == 400
    assert "The bio can be at most 5,000 characters; this one has 5,001" in page_text(response)
    assert Profile.objects.get(user=newcomer).bio == "original"
    newcomer.refresh_from_db()
    assert newcomer.full_name == ""


@pytest.mark.parametrize("level", ["0", "6", "99"])
def test_level_outside_one_to_five_shows_a_field_error(client, newcomer, level):
    response = client.post(
        "/me/profile/",
        {"section": "expertise_add", "exp-skill": "Brand New", "exp-level": level, "exp-years": "1"},
    )
    assert response.status_code == 400
    assert f"Level must be between 1 (familiar) and 5 (expert), not {level}" in page_text(response)
    assert not Skill.objects.filter(name="Brand New").exists()
    assert not Expertise.objects.exists()


def test_unknown_skill_id_shows_not_found_on_the_skill_field(client, newcomer):
    response = client.post(
        "/onboarding/4/",
        {"action": "expertise_add", "exp-skill": "", "exp-skill_id": "987654", "exp-level": "3"},
    )
    assert response.status_code == 400
    assert "No such skill in your workspace" in page_text(response)
    assert not Expertise.objects.exists()


def test_skill_of_another_workspace_gets_the_same_answer_as_an_unknown_one(client, newcomer):
    foreign = SkillFactory(organization=OrganizationFactory())
    response = client.post(
        "/me/profile/",
        {"section": "goal_add", "goal-skill": "", "goal-skill_id": str(foreign.pk), "goal-note": "x"},
    )
    assert response.status_code == 400
    assert "No such skill in your workspace" in page_text(response)
    assert foreign.name not in page_text(response)
    assert not LearningGoal.objects.exists()


def test_removing_someone_elses_skill_id_reports_not_found(client, newcomer):
    response = client.post("/me/profile/", {"section": "expertise_remove", "skill_id": "424242"})
    assert response.status_code == 400
    assert "That skill was not found in your workspace." in page_text(response)


def test_expertise_is_added_and_removed_from_the_edit_page(client, newcomer):
    org = newcomer.membership.organization
    kubernetes = skill_create(organization=org, name="Kubernetes", aliases=["k8s"])
    response = client.post(
        "/me/profile/", {"section": "expertise_add", "exp-skill": "k8s", "exp-level": "5", "exp-years": "4"}
    )
    assert response.status_code == 302
    assert response.url == "/me/profile/#skills"
    assert Expertise.objects.get(user=newcomer).skill == kubernetes
    assert "Kubernetes" in page_text(client.get("/me/profile/"))
    client.post("/me/profile/", {"section": "expertise_remove", "skill_id": str(kubernetes.pk)})
    assert not Expertise.objects.exists()


def test_work_style_flags_are_saved_and_unticking_clears_them(client, newcomer):
    profile_update(user=newcomer, open_to_mentor=True, is_away=True)
    response = client.post(
        "/me/profile/",
        {"section": "work_style", "work_mode": "live", "cadence": "daily", "feedback_style": "gentle"},
    )
    assert response.status_code == 302
    profile = Profile.objects.get(user=newcomer)
    assert (profile.work_mode, profile.open_to_mentor, profile.is_away) == ("live", False, False)


def test_unknown_form_section_is_refused_without_saving(client, newcomer):
    response = client.post("/me/profile/", {"section": "salary", "full_name": "X"})
    assert response.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.full_name == ""


def test_edit_page_keeps_a_legacy_time_zone_selectable(client):
    user = member()
    profile_update(user=user, timezone="US/Eastern")
    client.force_login(user)
    assert '<option value="US/Eastern" selected>' in client.get("/me/profile/").content.decode()


# --- profile page ----------------------------------------------------------------------


def test_profile_page_shows_what_people_need_to_know(client):
    viewer = member()
    org = viewer.membership.organization
    person = member(org, full_name="Priya Raman")
    with clock.travel_to(WINTER):
        profile_update(
            user=person,
            headline="Staff platform engineer",
            bio="Ask me about **Terraform**. <script>alert(1)</script> [docs](https://example.com)",
            timezone="Asia/Kolkata",
            working_hours=[{"day": 0, "start": "09:00", "end": "17:00"}],
            open_to_mentor=True,
            is_away=True,
            work_mode="async",
        )
        profile_update(
            user=viewer, timezone="UTC", working_hours=[{"day": 0, "start": "09:00", "end": "17:00"}]
        )
    expertise_set(user=person, skill_name="Terraform", level=5, years=8)
    learning_goal_add(user=person, skill_name="Rust", note="for fun")
    client.force_login(viewer)
    with clock.travel_to(WINTER):  # 12:00 UTC is 17:30 in Kolkata
        response = client.get(f"/people/{person.pk}/")
    body = response.content.decode()
    text = page_text(response)
    assert response.status_code == 200
    assert "Priya Raman" in text and "Staff platform engineer" in text
    assert "<strong>Terraform</strong>" in body
    assert "<script>alert" not in body
    assert 'rel="noopener nofollow noreferrer"' in body
    assert "Asia/Kolkata" in text
    assert "Wednesday 17:30" in text
    # the viewer works Monday 09–17 UTC; Priya 03:30–11:30 UTC: 09:00 and 10:00 are shared
    assert "<dt>Overlap with you</dt><dd>2 hours a week</dd>" in body
    assert "Monday: 09:00–17:00" in text.replace("</strong>", "").replace("<strong>", "")
    assert "Mostly asynchronous" in text
    assert "Open to mentoring" in text and "Away" in text
    assert "level 5 · Expert, 8 years" in text
    assert "Rust" in text and "for fun" in text
    assert '<section id="trust-card"' in body


def test_profile_of_another_workspace_is_404_like_a_missing_one(client):
    viewer = member()
    stranger = member(OrganizationFactory())
    client.force_login(viewer)
    foreign = client.get(f"/people/{stranger.pk}/")
    missing = client.get("/people/99999999/")
    assert foreign.status_code == missing.status_code == 404
    assert stranger.full_name not in foreign.content.decode()


def test_profile_of_a_deactivated_member_is_404(client):
    viewer = member()
    leaver = member(viewer.membership.organization)
    Membership.objects.filter(user=leaver).update(is_active=False)
    client.force_login(viewer)
    assert client.get(f"/people/{leaver.pk}/").status_code == 404


def test_your_own_profile_page_links_to_edit_it(client):
    viewer = member()
    client.force_login(viewer)
    assert reverse("accounts:profile_edit") in client.get(f"/people/{viewer.pk}/").content.decode()
