import threading
from datetime import timedelta

import pytest
from django.db import connection

from core import clock
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mentoring.engagements.selectors import exhausted_requests_for, invitations_inbox, mentor_load
from mentoring.engagements.services.invitations import (
    invitation_accept,
    invitation_answer_clarification,
    invitation_clarify,
    invitation_decline,
    invitation_withdraw,
    invitations_send,
)
from mentoring.engagements.services.requests import request_create
from mentoring.engagements.tasks import expire_invitations, invitation_timeout
from mentoring.models import Engagement, Invitation, MentoringRequest, Participant
from tests.factories import member, talent_manager
from tests.mentoring.factories import mentor, pair_engagement
from trust.models import TrustEvent

pytestmark = pytest.mark.django_db

WINDOW = timedelta(hours=24)


def responsiveness_of(user) -> list[float]:
    return list(
        TrustEvent.objects.filter(subject=user, dimension="responsiveness", source_kind="invitation")
        .order_by("occurred_at", "id")
        .values_list("outcome", flat=True)
    )


@pytest.fixture
def need(seeker, terraform):
    return request_create(seeker=seeker, title="Ship my Terraform module", skill_ids=[terraform.pk])


def states(request) -> list[str]:
    return list(request.invitations.order_by("rank").values_list("state", flat=True))


# --- sending -------------------------------------------------------------------------


def test_first_choice_is_invited_at_once_and_the_rest_wait_in_order(
    seeker, need, ana, ben, cleo, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitations = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana, ben, cleo])

    need.refresh_from_db()
    first = invitations[0]
    first.refresh_from_db()
    assert need.state == MentoringRequest.State.INVITING
    assert [(i.mentor, i.rank) for i in invitations] == [(ana, 1), (ben, 2), (cleo, 3)]
    assert states(need) == ["pending", "queued", "queued"]
    assert first.expires_at - first.sent_at == WINDOW
    # the countdown task ran (eagerly) on commit and left the fresh invitation alone
    assert first.state == Invitation.State.PENDING
    assert [m.to for m in mailoutbox] == [[ana.email]]
    assert "Ship my Terraform module" in mailoutbox[0].subject


def test_timeout_window_comes_from_the_setting(settings, seeker, need, ana):
    settings.TANDEM_INVITATION_TIMEOUT_HOURS = 6

    (first,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])

    first.refresh_from_db()
    assert first.expires_at - first.sent_at == timedelta(hours=6)


def _assert_nothing_sent(request):
    request.refresh_from_db()
    assert request.state == MentoringRequest.State.OPEN
    assert not Invitation.objects.filter(request=request).exists()


def test_requesting_oneself_is_rejected(org, terraform):
    mentor_seeker = mentor(org)
    request = request_create(seeker=mentor_seeker, title="Help")

    with pytest.raises(ValidationFailed) as caught:
        invitations_send(seeker=mentor_seeker, request_id=request.pk, mentors=[mentor_seeker])

    assert caught.value.fields["mentors"] == ["You cannot invite yourself; choose someone else."]
    _assert_nothing_sent(request)


def test_a_mentor_who_is_away_is_rejected_by_name(seeker, need, org, ana):
    away = mentor(org, away=True, full_name="Olga Away")

    with pytest.raises(ValidationFailed) as caught:
        invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana, away])

    assert caught.value.fields["mentors"] == ["Olga Away is away right now; choose someone else."]
    _assert_nothing_sent(need)


def test_a_mentor_at_capacity_is_rejected(seeker, need, org):
    busy = mentor(org, capacity=1, full_name="Bea Busy")
    pair_engagement(org, mentor_user=busy)

    with pytest.raises(ValidationFailed) as caught:
        invitations_send(seeker=seeker, request_id=need.pk, mentors=[busy])

    assert "Bea Busy has no capacity left" in caught.value.fields["mentors"][0]
    _assert_nothing_sent(need)


def test_an_engagement_that_is_wrapping_up_does_not_use_capacity(seeker, need, org):
    busy = mentor(org, capacity=1)
    pair_engagement(org, mentor_user=busy, state="wrapping_up", ended_at=clock.now())

    invitations_send(seeker=seeker, request_id=need.pk, mentors=[busy])

    assert states(need) == ["pending"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda org, other: mentor(org, open_to_mentor=False, full_name="Nia Notopen"),
            "not open to mentoring",
        ),
        (lambda org, other: mentor(other, full_name="Xavi Foreign"), "is not in your workspace"),
    ],
)
def test_mentors_who_are_not_open_or_in_another_workspace_are_rejected(
    seeker, need, org, other_org, make, message
):
    candidate = make(org, other_org)

    with pytest.raises(ValidationFailed) as caught:
        invitations_send(seeker=seeker, request_id=need.pk, mentors=[candidate])

    assert message in caught.value.fields["mentors"][0]
    _assert_nothing_sent(need)


def test_the_list_must_hold_one_to_three_distinct_mentors(seeker, need, org, ana):
    four = [mentor(org) for _ in range(4)]
    for mentors, text in [([], "at least one"), (four, "at most 3"), ([ana, ana], "only once")]:
        with pytest.raises(ValidationFailed) as caught:
            invitations_send(seeker=seeker, request_id=need.pk, mentors=mentors)
        assert text in " ".join(caught.value.fields["mentors"])
    _assert_nothing_sent(need)


def test_invitations_go_out_once_per_request(seeker, need, ana, ben):
    invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])

    with pytest.raises(Conflict):
        invitations_send(seeker=seeker, request_id=need.pk, mentors=[ben])
    assert list(need.invitations.values_list("mentor", flat=True)) == [ana.pk]


def test_someone_elses_request_is_not_found(need, org, ana):
    with pytest.raises(NotFound):
        invitations_send(seeker=member(org), request_id=need.pk, mentors=[ana])
    _assert_nothing_sent(need)


# --- accepting -----------------------------------------------------------------------


def test_accepting_starts_the_engagement_and_withdraws_the_rest(
    seeker, need, terraform, ana, ben, mailoutbox, django_capture_on_commit_callbacks
):
    first, _ = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana, ben])

    with django_capture_on_commit_callbacks(execute=True):
        engagement = invitation_accept(mentor=ana, invitation_id=first.pk)

    need.refresh_from_db()
    assert need.state == MentoringRequest.State.MATCHED
    assert states(need) == ["accepted", "withdrawn"]
    assert engagement.state == Engagement.State.ACTIVE
    assert engagement.request == need
    assert engagement.kind == "situational"
    assert engagement.ends_at - engagement.starts_at == timedelta(days=14)
    assert list(engagement.skills.all()) == [terraform]
    assert set(engagement.participants.values_list("user", "role")) == {
        (seeker.pk, Participant.Role.SEEKER),
        (ana.pk, Participant.Role.MENTOR),
    }
    assert list(engagement.transitions.values_list("from_state", "to_state")) == [("", "active")]
    assert responsiveness_of(ana) == [1.0]
    assert mailoutbox[-1].to == [seeker.email]
    assert "accepted" in mailoutbox[-1].subject


def test_accepting_after_the_deadline_is_a_conflict_and_changes_nothing(seeker, need, ana):
    (first,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])

    with clock.travel_by(WINDOW + timedelta(minutes=1)), pytest.raises(Conflict) as caught:
        invitation_accept(mentor=ana, invitation_id=first.pk)

    assert caught.value.code == "invitation_expired"
    assert "expired" in caught.value.message
    assert not Engagement.objects.exists()
    first.refresh_from_db()
    assert first.state == Invitation.State.PENDING
    assert first.responded_at is None


def test_accepting_an_invitation_the_sweep_expired_is_a_conflict(seeker, need, ana, ben):
    first, _ = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana, ben])
    with clock.travel_by(WINDOW + timedelta(minutes=1)):
        expire_invitations()

        with pytest.raises(Conflict) as caught:
            invitation_accept(mentor=ana, invitation_id=first.pk)

    assert caught.value.code == "invitation_expired"
    assert not Engagement.objects.exists()


def test_accepting_an_invitation_already_taken_by_another_mentor_is_a_conflict(seeker, need, ana, ben):
    first, second = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana, ben])
    invitation_decline(mentor=ana, invitation_id=first.pk, reason="On leave")
    invitation_accept(mentor=ben, invitation_id=second.pk)

    with pytest.raises(Conflict) as caught:
        invitation_accept(mentor=ana, invitation_id=first.pk)

    assert caught.value.code in {"invitation_taken", "invitation_answered"}
    assert Engagement.objects.count() == 1


def test_a_withdrawn_choice_cannot_accept_after_the_request_was_matched(seeker, need, ana, ben):
    first, second = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana, ben])
    invitation_accept(mentor=ana, invitation_id=first.pk)

    with pytest.raises(Conflict) as caught:
        invitation_accept(mentor=ben, invitation_id=second.pk)

    assert caught.value.code == "invitation_taken"
    assert "already taken" in caught.value.message
    assert Engagement.objects.count() == 1
    assert not Participant.objects.filter(user=ben).exists()


def test_accepting_twice_is_a_conflict(seeker, need, ana):
    (first,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])
    invitation_accept(mentor=ana, invitation_id=first.pk)

    with pytest.raises(Conflict):
        invitation_accept(mentor=ana, invitation_id=first.pk)
    assert Engagement.objects.count() == 1


def test_a_mentor_who_filled_up_meanwhile_cannot_accept(seeker, need, org):
    mentor_user = mentor(org, capacity=1)
    (first,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[mentor_user])
    pair_engagement(org, mentor_user=mentor_user)

    with pytest.raises(Conflict) as caught:
        invitation_accept(mentor=mentor_user, invitation_id=first.pk)

    assert caught.value.code == "no_capacity"
    first.refresh_from_db()
    assert first.state == Invitation.State.PENDING
    assert Engagement.objects.count() == 1


def test_only_the_invited_mentor_can_answer_and_queued_invitations_are_invisible(seeker, need, org, ana, ben):
    first, second = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana, ben])

    for who, invitation in [(member(org), first), (ben, first), (ben, second), (seeker, first)]:
        with pytest.raises(NotFound):
            invitation_accept(mentor=who, invitation_id=invitation.pk)
    with pytest.raises(NotFound):
        invitation_accept(mentor=ana, invitation_id=999999)
    assert states(need) == ["pending", "queued"]


# --- declining and the cascade ---------------------------------------------------------


def test_a_decline_needs_a_reason(seeker, need, ana):
    (first,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])

    with pytest.raises(ValidationFailed) as caught:
        invitation_decline(mentor=ana, invitation_id=first.pk, reason="  ")

    assert "reason" in caught.value.fields
    assert states(need) == ["pending"]


def test_a_decline_passes_the_request_to_the_next_choice_and_counts_as_responsive(
    seeker, need, ana, ben, mailoutbox, django_capture_on_commit_callbacks
):
    first, second = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana, ben])

    with django_capture_on_commit_callbacks(execute=True):
        invitation_decline(mentor=ana, invitation_id=first.pk, reason="On leave next week")

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == Invitation.State.DECLINED
    assert first.decline_reason == "On leave next week"
    assert second.state == Invitation.State.PENDING
    assert second.expires_at - second.sent_at == WINDOW
    assert responsiveness_of(ana) == [1.0]
    recipients = [m.to[0] for m in mailoutbox]
    assert recipients == [seeker.email, ben.email]
    assert "On leave next week" in mailoutbox[0].body


def test_the_cascade_moves_on_with_time_through_the_beat_sweep_until_exhausted(
    seeker, need, ana, ben, cleo, mailoutbox, django_capture_on_commit_callbacks
):
    invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana, ben, cleo])
    step = WINDOW + timedelta(minutes=1)

    # given nobody answers, when a day passes, the sweep expires the first choice
    with clock.travel_by(step):
        assert expire_invitations() == 1
        assert states(need) == ["expired", "pending", "queued"]
        assert expire_invitations() == 0  # idempotent
        with clock.travel_by(step):
            expire_invitations()
            assert states(need) == ["expired", "expired", "pending"]
            with clock.travel_by(step), django_capture_on_commit_callbacks(execute=True):
                expire_invitations()

    need.refresh_from_db()
    assert states(need) == ["expired", "expired", "expired"]
    assert need.state == MentoringRequest.State.EXHAUSTED
    assert list(exhausted_requests_for(seeker)) == [need]
    assert responsiveness_of(ana) == responsiveness_of(ben) == responsiveness_of(cleo) == [0.0]
    assert any(m.to == [seeker.email] and "No one could take" in m.subject for m in mailoutbox)


def test_the_countdown_task_expires_only_once_the_deadline_passed(seeker, need, ana, ben):
    first, _ = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana, ben])

    invitation_timeout(first.pk)
    assert states(need) == ["pending", "queued"]

    with clock.travel_by(WINDOW):
        invitation_timeout(first.pk)
        invitation_timeout(first.pk)  # a duplicate delivery changes nothing
    assert states(need) == ["expired", "pending"]
    invitation_timeout(123456789)  # a missing row is done


def test_a_mentor_who_answered_in_time_gets_no_timeout_evidence_when_the_seeker_goes_quiet(
    seeker, need, ana, ben
):
    first, _ = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana, ben])
    invitation_clarify(mentor=ana, invitation_id=first.pk, question="Is it AWS or GCP?")

    with clock.travel_by(WINDOW + timedelta(minutes=1)):
        expire_invitations()

    assert states(need) == ["expired", "pending"]
    assert responsiveness_of(ana) == [1.0]


def test_a_clarifying_question_pauses_the_decision_until_the_seeker_answers(seeker, need, ana, mailoutbox):
    (first,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])
    invitation_clarify(mentor=ana, invitation_id=first.pk, question="Is it AWS or GCP?")

    with pytest.raises(Conflict) as caught:
        invitation_accept(mentor=ana, invitation_id=first.pk)
    assert caught.value.code == "invitation_clarifying"

    with clock.travel_by(timedelta(hours=20)):
        answered = invitation_answer_clarification(seeker=seeker, invitation_id=first.pk, answer="AWS")
        assert answered.state == Invitation.State.PENDING
        assert answered.expires_at > clock.now() + timedelta(hours=23)
        engagement = invitation_accept(mentor=ana, invitation_id=first.pk)

    first.refresh_from_db()
    assert first.clarification_question == "Is it AWS or GCP?"
    assert first.clarification_answer == "AWS"
    assert engagement.state == Engagement.State.ACTIVE
    assert responsiveness_of(ana) == [1.0]  # one piece of evidence per invitation


def test_after_a_clarification_the_mentor_timing_out_records_no_contradicting_evidence(
    seeker, need, ana, ben
):
    first, _ = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana, ben])
    invitation_clarify(mentor=ana, invitation_id=first.pk, question="Which cloud?")
    invitation_answer_clarification(seeker=seeker, invitation_id=first.pk, answer="AWS")

    with clock.travel_by(WINDOW + timedelta(minutes=1)):
        expire_invitations()

    assert states(need) == ["expired", "pending"]
    assert responsiveness_of(ana) == [1.0]


def test_only_the_seeker_answers_a_clarification(seeker, need, org, ana):
    (first,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])
    invitation_clarify(mentor=ana, invitation_id=first.pk, question="Which cloud?")

    for who in (ana, member(org)):
        with pytest.raises(NotFound):
            invitation_answer_clarification(seeker=who, invitation_id=first.pk, answer="AWS")
    first.refresh_from_db()
    assert first.state == Invitation.State.CLARIFYING


# --- inbox -----------------------------------------------------------------------------


def test_the_inbox_shows_sent_invitations_only(seeker, need, ana, ben, django_assert_num_queries):
    first, _ = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana, ben])

    with django_assert_num_queries(2):  # invitations with request and seeker, then skills
        ana_inbox = list(invitations_inbox(ana))
        assert [i.request.seeker for i in ana_inbox] == [seeker]
        assert [s.name for s in ana_inbox[0].request.skills.all()] == ["Terraform"]
    assert list(invitations_inbox(ben)) == []

    invitation_decline(mentor=ana, invitation_id=first.pk, reason="Busy")
    assert list(invitations_inbox(ana)) == []
    assert list(invitations_inbox(ana, include_answered=True)) == [first]
    assert len(invitations_inbox(ben)) == 1


# --- concurrency (PostgreSQL: real row locks) --------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_accepts_cannot_both_take_a_mentors_last_slot(org):
    busy = mentor(org, capacity=1, full_name="Solo Mentor")
    invitations = []
    for title in ("First need", "Second need"):
        someone = member(org)
        request = request_create(seeker=someone, title=title)
        invitations += invitations_send(seeker=someone, request_id=request.pk, mentors=[busy])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(invitation_id):
        try:
            barrier.wait()
            invitation_accept(mentor=busy, invitation_id=invitation_id)
            outcomes.append("accepted")
        except Conflict as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(i.pk,)) for i in invitations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["accepted", "no_capacity"]
    assert mentor_load(busy) == 1
    assert Engagement.objects.count() == 1


# --- asking again ----------------------------------------------------------------------


def exhausted(seeker, need, mentor_user) -> MentoringRequest:
    (invitation,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[mentor_user])
    invitation_decline(mentor=mentor_user, invitation_id=invitation.pk, reason="Busy")
    need.refresh_from_db()
    assert need.state == MentoringRequest.State.EXHAUSTED
    return need


def test_inviting_on_an_exhausted_request_asks_the_same_need_again_as_a_new_request(
    seeker, need, terraform, ana, ben
):
    exhausted(seeker, need, ana)

    (invitation,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ben])

    again = invitation.request
    assert again.pk != need.pk
    assert (again.title, again.kind, again.urgency, again.desired_duration_days) == (
        need.title,
        need.kind,
        need.urgency,
        need.desired_duration_days,
    )
    assert list(again.skills.all()) == [terraform]
    assert again.state == MentoringRequest.State.INVITING
    assert states(again) == ["pending"]
    need.refresh_from_db()
    assert need.state == MentoringRequest.State.EXHAUSTED  # the record of who said no
    assert states(need) == ["declined"]


def test_asking_again_with_a_mentor_who_cannot_be_invited_creates_nothing(seeker, need, org, ana):
    exhausted(seeker, need, ana)
    away = mentor(org, away=True)

    with pytest.raises(ValidationFailed) as caught:
        invitations_send(seeker=seeker, request_id=need.pk, mentors=[away])

    assert "away" in caught.value.fields["mentors"][0]
    assert list(MentoringRequest.objects.values_list("pk", flat=True)) == [need.pk]


# --- a talent manager withdraws a stuck invitation ---------------------------------------


def test_withdrawing_a_live_invitation_invites_the_next_choice_and_tells_the_mentor(
    seeker, need, ana, ben, manager, mailoutbox, django_capture_on_commit_callbacks
):
    first, _ = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana, ben])

    with django_capture_on_commit_callbacks(execute=True):
        withdrawn = invitation_withdraw(actor=manager, invitation_id=first.pk, reason="Ana is on leave")

    assert withdrawn.state == Invitation.State.WITHDRAWN and withdrawn.responded_at is not None
    assert states(need) == ["withdrawn", "pending"]
    need.refresh_from_db()
    assert need.state == MentoringRequest.State.INVITING
    assert responsiveness_of(ana) == []  # passed on, not missed
    assert [m.to for m in mailoutbox] == [[ana.email], [ben.email]]
    assert (
        "withdrawn" in mailoutbox[0].subject
        and "a talent manager passed the request on" in mailoutbox[0].body
    )


def test_withdrawing_the_last_choice_exhausts_the_request(seeker, need, ana, manager):
    (first,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])

    invitation_withdraw(actor=manager, invitation_id=first.pk)

    need.refresh_from_db()
    assert need.state == MentoringRequest.State.EXHAUSTED


def test_only_a_talent_manager_of_the_workspace_withdraws_and_only_a_live_invitation(
    seeker, need, ana, ben, other_org
):
    first, second = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana, ben])

    with pytest.raises(PermissionDenied):
        invitation_withdraw(actor=seeker, invitation_id=first.pk)
    with pytest.raises(NotFound):
        invitation_withdraw(actor=talent_manager(other_org), invitation_id=first.pk)
    manager = talent_manager(need.organization)
    with pytest.raises(Conflict):
        invitation_withdraw(actor=manager, invitation_id=second.pk)  # still queued
    assert states(need) == ["pending", "queued"]


# --- working time ----------------------------------------------------------------------


def _nine_to_five(user):
    from datetime import UTC, datetime

    from accounts import working_hours as wh

    hours = [{"day": d, "start": "09:00", "end": "17:00"} for d in range(5)]
    mask = wh.utc_week_mask(hours, "UTC", reference=datetime(2026, 11, 23, 10, tzinfo=UTC))
    user.profile.timezone, user.profile.working_hours = "UTC", hours
    user.profile.save()
    type(user.profile).objects.filter(pk=user.profile.pk).update(utc_week_mask=wh.mask_to_hex(mask))


def test_an_invitation_sent_on_friday_evening_does_not_expire_before_the_mentor_worked_a_day(
    seeker, need, ana
):
    from datetime import UTC, datetime

    _nine_to_five(ana)
    friday_evening = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    with clock.travel_to(friday_evening):
        (first,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])
    first.refresh_from_db()
    # 24 wall-clock hours would end on Saturday; 480 working minutes end on Monday 17:00
    assert first.expires_at == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    with clock.travel_to(datetime(2026, 11, 29, 12, 0, tzinfo=UTC)):  # Sunday: nothing happens
        invitation_timeout(first.pk)
    assert states(need) == ["pending"]
    assert responsiveness_of(ana) == []


def test_a_timeout_while_the_mentor_is_away_never_counts_against_them(seeker, need, ana):
    (first,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])
    ana.profile.is_away = True
    ana.profile.save(update_fields=["is_away"])

    with clock.travel_by(WINDOW + timedelta(minutes=1)):
        invitation_timeout(first.pk)

    assert states(need) == ["expired"]
    assert responsiveness_of(ana) == []


def test_an_answered_invitation_is_evidence_with_the_seeker_as_counterpart(seeker, need, ana):
    (first,) = invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])
    invitation_accept(mentor=ana, invitation_id=first.pk)

    event = TrustEvent.objects.get(subject=ana, source_kind="invitation")
    assert (event.actor_id, event.outcome) == (seeker.pk, 1.0)
