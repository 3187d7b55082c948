from datetime import timedelta
from itertools import product

import pytest

from core import clock
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mentoring.engagements.selectors import (
    access_engagement,
    engagement_timeline,
    engagements_for,
    mentor_load,
)
from mentoring.engagements.services.engagements import (
    ENGAGEMENT_MOVES,
    engagement_cancel,
    engagement_extend,
    engagement_finish_early,
    engagement_transition,
    group_engagement_create,
    participant_add,
    participant_leave,
)
from mentoring.engagements.services.milestones import milestone_add, milestone_complete
from mentoring.engagements.tasks import move_engagements, remind_engagements_ending
from mentoring.models import Engagement, EngagementTransition, Milestone, Participant
from tests.factories import SkillFactory, member, talent_manager
from tests.mentoring.factories import ProgramFactory, mentor, pair_engagement

pytestmark = pytest.mark.django_db

S = Engagement.State
ALLOWED = sorted((a, b) for a, targets in ENGAGEMENT_MOVES.moves.items() for b in targets)
FORBIDDEN = sorted((a, b) for a, b in product(S.values, S.values) if (a, b) not in ALLOWED)


def engagement_in(org, state: str, *, activity: bool = True) -> Engagement:
    ended = None if state == S.ACTIVE else clock.now()
    return pair_engagement(org, state=state, ended_at=ended, active=activity)


# --- the state machine ----------------------------------------------------------------


def test_the_map_covers_every_state_and_final_states_allow_nothing():
    assert set(ENGAGEMENT_MOVES.moves) == set(S.values)
    assert ALLOWED == [
        ("active", "cancelled"),
        ("active", "expired"),
        ("active", "wrapping_up"),
        ("wrapping_up", "cancelled"),
        ("wrapping_up", "completed"),
    ]


@pytest.mark.parametrize(("from_state", "to_state"), ALLOWED)
def test_every_allowed_move_changes_state_and_writes_one_audit_row(org, manager, from_state, to_state):
    engagement = engagement_in(org, from_state, activity=to_state != S.EXPIRED)

    moved = engagement_transition(engagement=engagement, to_state=to_state, actor=manager, reason="because")

    engagement.refresh_from_db()
    assert moved.state == engagement.state == to_state
    last = engagement.transitions.order_by("-id").first()
    assert (last.from_state, last.to_state, last.actor, last.reason) == (
        from_state,
        to_state,
        manager,
        "because",
    )
    assert engagement.transitions.count() == 2  # creation + this move
    assert engagement.ended_at is not None


@pytest.mark.parametrize(("from_state", "to_state"), FORBIDDEN)
def test_every_forbidden_move_is_a_conflict_and_changes_nothing(org, from_state, to_state):
    engagement = engagement_in(org, from_state, activity=False)
    before = (engagement.state, engagement.ended_at)

    with pytest.raises(Conflict) as caught:
        engagement_transition(engagement=engagement, to_state=to_state, reason="try")

    engagement.refresh_from_db()
    assert (engagement.state, engagement.ended_at) == before
    assert engagement.transitions.count() == 1
    assert "state" in caught.value.fields


def test_an_engagement_people_engaged_in_cannot_expire(org):
    engagement = engagement_in(org, S.ACTIVE, activity=True)

    with pytest.raises(Conflict):
        engagement_transition(engagement=engagement, to_state=S.EXPIRED)
    engagement.refresh_from_db()
    assert engagement.state == S.ACTIVE


def test_an_unknown_target_state_is_invalid(org):
    engagement = engagement_in(org, S.ACTIVE)

    with pytest.raises(ValidationFailed):
        engagement_transition(engagement=engagement, to_state="paused")


def test_the_transition_reads_the_current_state_not_a_stale_copy(org):
    engagement = engagement_in(org, S.ACTIVE)
    stale = Engagement.objects.get(pk=engagement.pk)
    engagement_transition(engagement=engagement, to_state=S.CANCELLED, reason="first")

    with pytest.raises(Conflict):
        engagement_transition(engagement=stale, to_state=S.WRAPPING_UP)
    assert list(engagement_timeline(engagement).values_list("to_state", flat=True)) == ["active", "cancelled"]


# --- moves by the calendar --------------------------------------------------------------


def test_beat_wraps_up_at_the_end_date_then_completes_after_the_feedback_window(
    org, mailoutbox, django_capture_on_commit_callbacks
):
    engagement = engagement_in(org, S.ACTIVE, activity=True)

    move_engagements()
    engagement.refresh_from_db()
    assert engagement.state == S.ACTIVE  # not yet

    with clock.travel_by(timedelta(days=14, minutes=1)):
        with django_capture_on_commit_callbacks(execute=True):
            move_engagements()
        engagement.refresh_from_db()
        assert engagement.state == S.WRAPPING_UP
        assert len(mailoutbox) == 2 and "reached its end date" in mailoutbox[0].subject
        with clock.travel_by(timedelta(days=6)):
            move_engagements()
            engagement.refresh_from_db()
            assert engagement.state == S.WRAPPING_UP
        with clock.travel_by(timedelta(days=7, minutes=1)):
            move_engagements()
            move_engagements()  # idempotent

    engagement.refresh_from_db()
    assert engagement.state == S.COMPLETED
    assert list(engagement.transitions.values_list("to_state", "actor", "reason")) == [
        ("active", None, "created"),
        ("wrapping_up", None, "end date reached"),
        ("completed", None, "feedback window closed"),
    ]


def test_beat_expires_an_engagement_nobody_engaged_in(org):
    engagement = engagement_in(org, S.ACTIVE, activity=False)

    with clock.travel_by(timedelta(days=15)):
        move_engagements()

    engagement.refresh_from_db()
    assert engagement.state == S.EXPIRED
    assert engagement.transitions.last().reason == "end date reached with no activity"


def test_participants_are_reminded_once_before_the_end_and_again_after_an_extension(
    org, mailoutbox, django_capture_on_commit_callbacks
):
    engagement = engagement_in(org, S.ACTIVE)
    seeker = engagement.participants.get(role="seeker").user

    with django_capture_on_commit_callbacks(execute=True):
        assert remind_engagements_ending() == 0
        with clock.travel_by(timedelta(days=12, hours=1)):
            assert remind_engagements_ending() == 1
            assert remind_engagements_ending() == 0
            engagement_extend(
                actor=seeker,
                engagement_id=engagement.pk,
                ends_at=engagement.ends_at + timedelta(days=7),
                reason="The module needs a second review round",
            )
            assert remind_engagements_ending() == 0
        with clock.travel_by(timedelta(days=19, hours=1)):
            assert remind_engagements_ending() == 1

    reminders = [m for m in mailoutbox if "ends on" in m.subject]
    assert len(reminders) == 4  # two people, twice


# --- extension ------------------------------------------------------------------------


def test_an_engagement_is_extended_once_with_a_reason(org):
    engagement = engagement_in(org, S.ACTIVE)
    seeker = engagement.participants.get(role="seeker").user
    new_end = engagement.starts_at + timedelta(days=30)

    engagement_extend(actor=seeker, engagement_id=engagement.pk, ends_at=new_end, reason="Second review")

    engagement.refresh_from_db()
    assert (engagement.ends_at, engagement.extended_once, engagement.extension_reason) == (
        new_end,
        True,
        "Second review",
    )
    with pytest.raises(Conflict):
        engagement_extend(
            actor=seeker, engagement_id=engagement.pk, ends_at=new_end + timedelta(days=1), reason="Again"
        )
    engagement.refresh_from_db()
    assert engagement.ends_at == new_end


@pytest.mark.parametrize(
    ("days", "reason", "field", "text"),
    [
        (31, "More time", "ends_at", "at most 30 days"),
        (10, "Earlier", "ends_at", "after the current end"),
        (20, "  ", "reason", "Enter a reason"),
    ],
)
def test_bad_extensions_name_the_field_and_change_nothing(org, days, reason, field, text):
    engagement = engagement_in(org, S.ACTIVE)
    seeker = engagement.participants.get(role="seeker").user

    with pytest.raises(ValidationFailed) as caught:
        engagement_extend(
            actor=seeker,
            engagement_id=engagement.pk,
            ends_at=engagement.starts_at + timedelta(days=days),
            reason=reason,
        )

    assert text in caught.value.fields[field][0]
    engagement.refresh_from_db()
    assert engagement.ends_at - engagement.starts_at == timedelta(days=14)
    assert not engagement.extended_once


def test_an_ongoing_engagement_extends_up_to_six_months(org):
    engagement = pair_engagement(org, kind="ongoing", ends_at=clock.now() + timedelta(days=90))
    seeker = engagement.participants.get(role="seeker").user

    with pytest.raises(ValidationFailed):
        engagement_extend(
            actor=seeker,
            engagement_id=engagement.pk,
            ends_at=engagement.starts_at + timedelta(days=184),
            reason="x",
        )
    engagement_extend(
        actor=seeker,
        engagement_id=engagement.pk,
        ends_at=engagement.starts_at + timedelta(days=183),
        reason="x",
    )


def test_a_non_participant_cannot_extend_and_gets_not_found(org, manager):
    engagement = engagement_in(org, S.ACTIVE)

    for outsider in (member(org), manager):
        with pytest.raises(NotFound):
            engagement_extend(
                actor=outsider,
                engagement_id=engagement.pk,
                ends_at=engagement.ends_at + timedelta(days=1),
                reason="x",
            )
    engagement.refresh_from_db()
    assert not engagement.extended_once


# --- group engagements ------------------------------------------------------------------


def test_a_talent_manager_starts_a_group_engagement_and_everyone_is_told(
    org, manager, ana, ben, seeker, terraform, mailoutbox, django_capture_on_commit_callbacks
):
    program = ProgramFactory(organization=org, kind="group", default_duration_days=45)
    with django_capture_on_commit_callbacks(execute=True):
        engagement = group_engagement_create(
            actor=manager,
            title="Terraform guild",
            goal="Everyone ships a module",
            mentors=[ana],
            seekers=[ben, seeker],
            skills=[terraform],
            program=program,
        )

    assert engagement.kind == "group"
    assert engagement.program == program
    assert engagement.ends_at - engagement.starts_at == timedelta(days=45)
    assert engagement.participants.count() == 3
    assert engagement.created_by == manager
    assert sorted(m.to[0] for m in mailoutbox) == sorted([ana.email, ben.email, seeker.email])


def test_a_mentor_starts_a_group_engagement_with_themself_as_mentor(org, ana, ben, seeker):
    engagement = group_engagement_create(
        actor=ana, title="Pairing club", mentors=[ana], seekers=[ben, seeker]
    )

    assert set(engagement.participants.values_list("user", "role")) == {
        (ana.pk, "mentor"),
        (ben.pk, "seeker"),
        (seeker.pk, "seeker"),
    }


def test_a_group_with_fewer_than_three_people_is_rejected(org, manager, ana, seeker):
    with pytest.raises(ValidationFailed) as caught:
        group_engagement_create(actor=manager, title="Too small", mentors=[ana], seekers=[seeker, seeker])

    assert "at least 3 people" in caught.value.fields["participants"][0]
    assert not Engagement.objects.exists()


def test_a_member_who_is_not_a_mentor_cannot_start_a_group(org, seeker, ana, ben):
    with pytest.raises(PermissionDenied):
        group_engagement_create(actor=seeker, title="Club", mentors=[ana], seekers=[ben, seeker])
    assert not Engagement.objects.exists()


@pytest.mark.parametrize(
    ("start_days", "end_days", "text"),
    [(5, 5, "after the start"), (5, 1, "after the start"), (0, 91, "at most 90 days")],
)
def test_group_dates_must_be_ordered_and_within_the_maximum(
    org, manager, ana, ben, seeker, start_days, end_days, text
):
    base = clock.now()
    with pytest.raises(ValidationFailed) as caught:
        group_engagement_create(
            actor=manager,
            title="Club",
            mentors=[ana],
            seekers=[ben, seeker],
            starts_at=base + timedelta(days=start_days),
            ends_at=base + timedelta(days=end_days),
        )

    assert text in caught.value.fields["ends_at"][0]
    assert not Engagement.objects.exists()


def test_group_people_and_skills_must_come_from_the_workspace(org, other_org, manager, ana, ben):
    foreign_person = member(other_org)
    foreign_skill = SkillFactory(organization=other_org)

    with pytest.raises(ValidationFailed) as caught:
        group_engagement_create(
            actor=manager, title="Club", mentors=[ana], seekers=[ben, foreign_person], skills=[foreign_skill]
        )

    assert "not a member of this workspace" in caught.value.fields["seekers"][0]
    assert "skills" in caught.value.fields
    assert not Engagement.objects.exists()


def test_people_join_and_leave_and_the_last_mentor_leaving_ends_the_group(
    org, manager, ana, ben, seeker, cleo
):
    engagement = group_engagement_create(actor=manager, title="Club", mentors=[ana, ben], seekers=[seeker])
    participant_add(actor=ana, engagement_id=engagement.pk, user=cleo, role="seeker")
    milestone_add(actor=seeker, engagement_id=engagement.pk, title="First module")

    with pytest.raises(Conflict):
        participant_add(actor=manager, engagement_id=engagement.pk, user=cleo, role="seeker")
    with pytest.raises(PermissionDenied):
        participant_add(actor=seeker, engagement_id=engagement.pk, user=member(org), role="seeker")

    participant_leave(actor=cleo, engagement_id=engagement.pk)
    participant_leave(actor=ana, engagement_id=engagement.pk)
    engagement.refresh_from_db()
    assert engagement.state == S.ACTIVE

    participant_leave(actor=ben, engagement_id=engagement.pk)
    engagement.refresh_from_db()
    assert engagement.state == S.WRAPPING_UP
    last = engagement.transitions.last()
    assert (last.actor, last.reason) == (ben, "the last mentor left")
    assert engagement.participants.filter(left_at__isnull=True).count() == 1


def test_a_situational_engagement_is_cancelled_not_left(org):
    engagement = engagement_in(org, S.ACTIVE)
    seeker = engagement.participants.get(role="seeker").user

    with pytest.raises(ValidationFailed):
        participant_leave(actor=seeker, engagement_id=engagement.pk)
    assert engagement.participants.filter(left_at__isnull=True).count() == 2


# --- cancelling and finishing early ---------------------------------------------------------


def test_a_participant_or_talent_manager_cancels_with_a_reason_and_outsiders_get_not_found(org, manager):
    first = engagement_in(org, S.ACTIVE)
    second = engagement_in(org, S.WRAPPING_UP)
    seeker = first.participants.get(role="seeker").user

    with pytest.raises(ValidationFailed):
        engagement_cancel(actor=seeker, engagement_id=first.pk, reason="")
    with pytest.raises(NotFound):
        engagement_cancel(actor=member(org), engagement_id=first.pk, reason="mine now")
    with pytest.raises(NotFound):
        engagement_cancel(actor=talent_manager(), engagement_id=first.pk, reason="other workspace")

    engagement_cancel(actor=seeker, engagement_id=first.pk, reason="The need went away")
    engagement_cancel(actor=manager, engagement_id=second.pk, reason="Reorganisation")

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == second.state == S.CANCELLED
    assert first.transitions.last().reason == "The need went away"


def test_finishing_early_wraps_up_only_after_people_engaged(org):
    idle = engagement_in(org, S.ACTIVE, activity=False)
    busy = engagement_in(org, S.ACTIVE, activity=True)

    with pytest.raises(Conflict):
        engagement_finish_early(actor=idle.participants.first().user, engagement_id=idle.pk)
    engagement_finish_early(actor=busy.participants.first().user, engagement_id=busy.pk)

    idle.refresh_from_db()
    busy.refresh_from_db()
    assert (idle.state, busy.state) == (S.ACTIVE, S.WRAPPING_UP)


# --- milestones -------------------------------------------------------------------------


def test_milestones_are_added_within_the_engagement_and_completed_by_participants(org):
    engagement = engagement_in(org, S.ACTIVE, activity=False)
    seeker = engagement.participants.get(role="seeker").user
    mentor_user = engagement.participants.get(role="mentor").user

    with pytest.raises(ValidationFailed) as caught:
        milestone_add(
            actor=seeker,
            engagement_id=engagement.pk,
            title="Late",
            due_at=engagement.ends_at + timedelta(days=1),
        )
    assert "due_at" in caught.value.fields
    with pytest.raises(NotFound):
        milestone_add(actor=member(org), engagement_id=engagement.pk, title="Intruder")
    assert not Milestone.objects.exists()

    milestone = milestone_add(
        actor=seeker,
        engagement_id=engagement.pk,
        title="Plan reviewed",
        due_at=clock.now() + timedelta(days=3),
    )
    milestone_complete(actor=mentor_user, milestone_id=milestone.pk)

    milestone.refresh_from_db()
    engagement.refresh_from_db()
    assert milestone.done_at is not None
    assert engagement.last_activity_at is not None


# --- access and lists ---------------------------------------------------------------------


def test_participants_and_talent_managers_read_an_engagement_and_everyone_else_gets_not_found(
    org, other_org, manager
):
    engagement = engagement_in(org, S.ACTIVE)
    seeker = engagement.participants.get(role="seeker").user

    assert access_engagement(seeker, engagement.pk).viewer_is_participant is True
    assert access_engagement(manager, engagement.pk).viewer_is_participant is False
    for outsider, engagement_id in [
        (member(org), engagement.pk),
        (talent_manager(other_org), engagement.pk),
        (seeker, 987654),
        (seeker, "not-a-number"),
    ]:
        with pytest.raises(NotFound) as caught:
            access_engagement(outsider, engagement_id)
        assert caught.value.message == "No such engagement."


def test_engagements_for_lists_mine_with_a_constant_number_of_queries(org, django_assert_num_queries):
    me = member(org)
    for _ in range(3):
        pair_engagement(org, seeker=me)
    pair_engagement(org, seeker=me, state="cancelled", ended_at=clock.now())
    pair_engagement(org)  # someone else's

    with django_assert_num_queries(3):  # engagements (+program, org), participants (+users, profiles), skills
        rows = list(engagements_for(me))
        names = [p.user.profile.timezone for e in rows for p in e.participants.all()]
        skills = [s for e in rows for s in e.skills.all()]
    assert len(rows) == 4 and len(names) == 8 and skills == []
    assert engagements_for(me, "cancelled").count() == 1
    with pytest.raises(NotFound):
        engagements_for(me, "sleeping")


def test_mentor_load_counts_only_active_engagements_as_mentor(org):
    mentor_user = mentor(org, capacity=3)
    pair_engagement(org, mentor_user=mentor_user)
    pair_engagement(org, mentor_user=mentor_user, state="completed", ended_at=clock.now())
    pair_engagement(org, seeker=mentor_user)

    assert mentor_load(mentor_user) == 1


def test_a_participant_who_left_is_no_longer_counted(org, manager, ana, ben, seeker):
    engagement = group_engagement_create(actor=manager, title="Club", mentors=[ana, ben], seekers=[seeker])
    participant_leave(actor=ana, engagement_id=engagement.pk)

    assert mentor_load(ana) == 0
    assert Participant.objects.filter(engagement=engagement, user=ana, left_at__isnull=False).exists()
    assert EngagementTransition.objects.filter(engagement=engagement).count() == 1
