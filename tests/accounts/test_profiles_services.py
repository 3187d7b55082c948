from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from accounts import working_hours as wh
from accounts.models import Expertise, LearningGoal, Profile, Skill
from accounts.services import profiles as services
from core import clock
from core.errors import NotFound, PermissionDenied, ValidationFailed
from tests.factories import OrganizationFactory, SkillFactory, UserFactory, member

pytestmark = pytest.mark.django_db

WINTER = datetime(2026, 1, 14, 12, tzinfo=ZoneInfo("UTC"))
SUMMER = datetime(2026, 7, 15, 12, tzinfo=ZoneInfo("UTC"))
NINE_TO_FIVE = [{"day": 0, "start": "09:00", "end": "17:00"}]


def snapshot(user):
    """Everything profile_update may write, to prove a rejected call wrote nothing."""
    user.refresh_from_db()
    profile = Profile.objects.get(user=user)
    return (
        user.full_name,
        profile.headline,
        profile.bio,
        profile.bio_html,
        profile.timezone,
        profile.working_hours,
        profile.utc_week_mask,
        profile.capacity,
        profile.open_to_mentor,
    )


def test_update_saves_fields_renders_bio_and_computes_the_week_mask():
    user = member()
    with clock.travel_to(WINTER):
        profile = services.profile_update(
            user=user,
            full_name="  Ada   Lovelace ",
            headline="Analytical engines",
            bio="I like **engines**.",
            timezone="Europe/Berlin",
            working_hours=NINE_TO_FIVE,
            capacity=3,
            work_mode="async",
            cadence="weekly",
            feedback_style="direct",
            open_to_mentor=True,
            seeking=False,
            is_away=False,
        )
    user.refresh_from_db()
    profile.refresh_from_db()
    assert user.full_name == "Ada Lovelace"
    assert profile.bio_html == "<p>I like <strong>engines</strong>.</p>\n"
    assert profile.utc_week_mask == wh.mask_to_hex(sum(1 << h for h in range(8, 16)))
    assert (profile.capacity, profile.work_mode, profile.cadence, profile.feedback_style) == (
        3,
        "async",
        "weekly",
        "direct",
    )
    assert profile.open_to_mentor is True


def test_changing_only_the_time_zone_recomputes_the_mask():
    user = member()
    with clock.travel_to(WINTER):
        services.profile_update(user=user, timezone="UTC", working_hours=NINE_TO_FIVE)
        before = Profile.objects.get(user=user).utc_week_mask
        services.profile_update(user=user, timezone="Asia/Tokyo")
    after = Profile.objects.get(user=user).utc_week_mask
    assert before != after
    assert wh.hex_to_mask(after).bit_count() == 8


def test_bio_with_script_is_stored_as_written_but_rendered_inert():
    user = member()
    profile = services.profile_update(user=user, bio="<script>alert(1)</script>")
    assert profile.bio == "<script>alert(1)</script>"
    assert "<script" not in profile.bio_html


def test_unknown_time_zone_is_rejected_and_nothing_is_saved():
    user = member()
    before = snapshot(user)
    with pytest.raises(ValidationFailed) as exc:
        services.profile_update(user=user, headline="New headline", timezone="Moon/Base")
    assert "Moon/Base" in exc.value.fields["timezone"][0]
    assert snapshot(user) == before


def test_overlapping_windows_are_rejected_with_the_window_named():
    user = member()
    before = snapshot(user)
    with pytest.raises(ValidationFailed) as exc:
        services.profile_update(
            user=user,
            capacity=4,
            working_hours=[
                {"day": 1, "start": "09:00", "end": "12:00"},
                {"day": 1, "start": "11:00", "end": "15:00"},
            ],
        )
    assert "Tuesday: 09:00–12:00 overlaps 11:00–15:00" in exc.value.fields["working_hours"][0]
    assert snapshot(user) == before


def test_inverted_window_is_rejected():
    user = member()
    with pytest.raises(ValidationFailed) as exc:
        services.profile_update(user=user, working_hours=[{"day": 2, "start": "18:00", "end": "08:00"}])
    assert exc.value.fields["working_hours"][0].startswith("Window 1 (Wednesday)")


@pytest.mark.parametrize(
    ("capacity", "expected"),
    [(-1, "can't be negative"), (500, "use at most 20"), (21, "use at most 20"), ("lots", "whole number")],
)
def test_capacity_outside_zero_to_twenty_is_rejected_with_a_clear_message(capacity, expected):
    user = member()
    before = snapshot(user)
    with pytest.raises(ValidationFailed) as exc:
        services.profile_update(user=user, capacity=capacity, headline="changed")
    assert expected in exc.value.fields["capacity"][0]
    assert snapshot(user) == before


@pytest.mark.parametrize("capacity", [0, 20, "7"])
def test_capacity_at_the_bounds_is_accepted(capacity):
    user = member()
    assert services.profile_update(user=user, capacity=capacity).capacity == int(capacity)


def test_oversized_bio_is_rejected_saying_the_limit_and_the_length():
    user = member()
    before = snapshot(user)
    with pytest.raises(ValidationFailed) as exc:
        services.profile_update(user=user, bio="x" * 5001, headline="changed")
    assert "5,000" in exc.value.fields["bio"][0]
    assert "5,001" in exc.value.fields["bio"][0]
    assert snapshot(user) == before


def test_a_bio_of_exactly_five_thousand_characters_is_accepted():
    user = member()
    assert len(services.profile_update(user=user, bio="y" * 5000).bio) == 5000


def test_every_bad_field_is_reported_at_once():
    user = member()
    with pytest.raises(ValidationFailed) as exc:
        services.profile_update(
            user=user,
            timezone="Nowhere",
            capacity=-3,
            bio="z" * 6000,
            work_mode="telepathy",
            open_to_mentor="yes",
        )
    assert set(exc.value.fields) == {"timezone", "capacity", "bio", "work_mode", "open_to_mentor"}


def test_unknown_field_is_a_programming_error():
    with pytest.raises(TypeError, match="salary"):
        services.profile_update(user=member(), salary=1)


def test_completing_onboarding_keeps_the_first_completion_time():
    user = member(onboarded=False)
    with clock.travel_to(WINTER):
        first = services.profile_complete_onboarding(user=user).onboarded_at
    with clock.travel_to(SUMMER):
        again = services.profile_complete_onboarding(user=user).onboarded_at
    assert first == again
    assert first.date() == WINTER.date()


def test_weekly_refresh_moves_masks_after_a_daylight_saving_change_and_is_idempotent():
    user = member()
    with clock.travel_to(WINTER):
        services.profile_update(user=user, timezone="Europe/Berlin", working_hours=NINE_TO_FIVE)
    untouched = member()  # UTC, no hours: nothing to change
    with clock.travel_to(SUMMER):
        assert services.profile_refresh_week_masks() == 1
        assert services.profile_refresh_week_masks() == 0
    mask = wh.hex_to_mask(Profile.objects.get(user=user).utc_week_mask)
    assert [h for h in range(168) if mask >> h & 1] == list(range(7, 15))
    assert Profile.objects.get(user=untouched).utc_week_mask == "0" * 42


# --- expertise and learning goals ------------------------------------------------


def test_expertise_is_added_then_updated_not_duplicated():
    user = member()
    skill = SkillFactory(organization=user.membership.organization)
    services.expertise_set(user=user, skill_id=skill.pk, level=2, years=1)
    services.expertise_set(user=user, skill_id=str(skill.pk), level="4", years="6")
    expertise = Expertise.objects.get(user=user)
    assert (expertise.skill, expertise.level, expertise.years) == (skill, 4, 6)


def test_expertise_by_alias_uses_the_existing_skill():
    from accounts.services.skills import skill_create

    user = member()
    kubernetes = skill_create(organization=user.membership.organization, name="Kubernetes", aliases=["k8s"])
    services.expertise_set(user=user, skill_name="K8S", level=3)
    assert Expertise.objects.get(user=user).skill == kubernetes
    assert Skill.objects.count() == 1


def test_expertise_with_a_new_name_creates_the_skill_in_the_workspace():
    user = member()
    services.expertise_set(user=user, skill_name="Elixir", level=3)
    assert Skill.objects.get(name="Elixir").organization == user.membership.organization


@pytest.mark.parametrize("level", [0, 6, -1, "high", None])
def test_level_outside_one_to_five_is_rejected_and_no_skill_is_created(level):
    user = member()
    with pytest.raises(ValidationFailed) as exc:
        services.expertise_set(user=user, skill_name="Brand New Skill", level=level)
    assert "level" in exc.value.fields
    assert not Skill.objects.filter(name="Brand New Skill").exists()
    assert not Expertise.objects.exists()


@pytest.mark.parametrize("years", [-1, 61])
def test_years_outside_zero_to_sixty_are_rejected(years):
    user = member()
    skill = SkillFactory(organization=user.membership.organization)
    with pytest.raises(ValidationFailed) as exc:
        services.expertise_set(user=user, skill_id=skill.pk, level=3, years=years)
    assert "between 0 and 60" in exc.value.fields["years"][0]


def test_unknown_skill_id_is_not_found():
    user = member()
    with pytest.raises(NotFound) as exc:
        services.expertise_set(user=user, skill_id=999_999, level=3)
    assert "skill_id" in exc.value.fields
    assert not Expertise.objects.exists()


def test_skill_of_another_workspace_is_not_found_exactly_like_a_missing_one():
    user = member()
    foreign = SkillFactory(organization=OrganizationFactory())
    with pytest.raises(NotFound) as foreign_exc:
        services.expertise_set(user=user, skill_id=foreign.pk, level=3)
    with pytest.raises(NotFound) as missing_exc:
        services.expertise_set(user=user, skill_id=foreign.pk + 1000, level=3)
    assert foreign_exc.value.message == missing_exc.value.message
    assert foreign_exc.value.fields == missing_exc.value.fields
    with pytest.raises(NotFound):
        services.learning_goal_add(user=user, skill_id=foreign.pk)
    assert not Expertise.objects.exists()
    assert not LearningGoal.objects.exists()


def test_removing_expertise_deletes_it_and_removing_again_is_not_found():
    user = member()
    skill = SkillFactory(organization=user.membership.organization)
    services.expertise_set(user=user, skill_id=skill.pk, level=3)
    services.expertise_remove(user=user, skill_id=skill.pk)
    assert not Expertise.objects.exists()
    with pytest.raises(NotFound):
        services.expertise_remove(user=user, skill_id=skill.pk)


def test_learning_goals_are_added_once_and_removed():
    user = member()
    skill = SkillFactory(organization=user.membership.organization)
    services.learning_goal_add(user=user, skill_id=skill.pk, note="first")
    services.learning_goal_add(user=user, skill_name=skill.name.upper(), note="ship a module")
    goal = LearningGoal.objects.get(user=user)
    assert goal.note == "ship a module"
    services.learning_goal_remove(user=user, skill_id=skill.pk)
    assert not LearningGoal.objects.exists()


def test_learning_goal_note_longer_than_200_characters_is_rejected():
    user = member()
    with pytest.raises(ValidationFailed) as exc:
        services.learning_goal_add(user=user, skill_name="Go", note="n" * 201)
    assert "200" in exc.value.fields["note"][0]
    assert not Skill.objects.exists()


def test_someone_without_a_workspace_cannot_declare_expertise():
    with pytest.raises(PermissionDenied):
        services.expertise_set(user=UserFactory(), skill_name="Go", level=3)


def test_weekly_mask_refresh_task_repairs_a_stale_mask():
    from accounts.models import Profile
    from accounts.tasks import refresh_week_masks
    from tests.factories import member

    person = member()
    Profile.objects.filter(user=person).update(
        timezone="Europe/Berlin",
        working_hours=[{"day": 0, "start": "09:00", "end": "17:00"}],
        utc_week_mask="0" * 42,
    )
    assert refresh_week_masks.delay() is not None
    assert Profile.objects.get(user=person).utc_week_mask != "0" * 42
