"""Ask the network: ranking, waves, caps, pass/refer, outcomes and their evidence
(messaging/routing/: ranking, waves, replies, sweep), driven through the real services with time moved."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache

from accounts import working_hours as wh
from accounts.models import Membership
from core import clock
from core.errors import Conflict, NotFound, ValidationFailed
from messaging.models import Notification, Question, RoutingAttempt
from messaging.qa import services as qa
from messaging.routing import replies, selectors, sweep, tasks, waves
from messaging.sockets import presence
from tests.factories import ExpertiseFactory, OrganizationFactory, SkillFactory, member
from trust.models import TrustEvent, TrustScore

pytestmark = pytest.mark.django_db

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday, 10:00 UTC
NINE_TO_FIVE = wh.DEFAULT_WORKING_HOURS  # Monday–Friday 09:00–17:00


@pytest.fixture(autouse=True)
def monday_morning(settings):
    settings.ROUTING_EXPLORATION_SHARE = 0.0  # tests of exploration turn it on
    with clock.travel_to(MONDAY_10):
        yield


@pytest.fixture
def terraform(org):
    return SkillFactory(organization=org, name="Terraform")


def person(org, *, skills=(), level=4, hours=NINE_TO_FIVE, tz="UTC", away=False, headline="", **kwargs):
    user = member(org, **kwargs)
    profile = user.profile
    profile.headline = headline
    profile.working_hours = hours
    profile.timezone = tz
    profile.utc_week_mask = wh.mask_to_hex(wh.utc_week_mask(hours, tz, reference=MONDAY_10))
    profile.is_away = away
    profile.save()
    for skill in skills:
        ExpertiseFactory(user=user, skill=skill, level=level)
    return user


def ask(author, skills=(), *, title="How do I structure a Terraform module?", body="Variables, outputs."):
    return qa.question_ask(
        author=author, title=title, body=body, scope="network", skill_ids=[s.pk for s in skills]
    )


def asked(question) -> list[int]:
    return list(
        RoutingAttempt.objects.filter(question=question)
        .order_by("wave", "rank")
        .values_list("candidate_id", flat=True)
    )


def about(moment, expected) -> bool:
    """The clock moves on with real time after travel_to: allow a few seconds."""
    return abs(moment - expected) < timedelta(seconds=30)


def routed_notifications(user) -> int:
    return Notification.objects.filter(recipient=user, kind="question.routed").count()


# --- ranking ----------------------------------------------------------------------------


def test_wave_one_notifies_the_three_best_matches_in_order_with_their_breakdown(org, terraform, commit):
    asker = person(org)
    experts = [person(org, skills=[terraform], level=level) for level in (5, 4, 3, 2)]
    bystander = person(org)  # no expertise, no matching words

    with commit():
        question = ask(asker, [terraform])

    assert asked(question) == [experts[0].pk, experts[1].pk, experts[2].pk]
    first = RoutingAttempt.objects.get(question=question, candidate=experts[0])
    assert (first.wave, first.rank, first.outcome) == (1, 1, RoutingAttempt.Outcome.PENDING)
    for key in (
        "match",
        "competence",
        "p_good",
        "p_answer",
        "availability",
        "exploration",
        "working_now",
        "presence",
        "reasons",
    ):
        assert key in first.breakdown
    third = RoutingAttempt.objects.get(question=question, rank=3)
    assert first.breakdown["competence"] > third.breakdown["competence"]  # level 5 over level 3
    assert first.score == pytest.approx(
        first.breakdown["match"]
        * first.breakdown["p_good"]
        * first.breakdown["p_answer"]
        * first.breakdown["availability"],
        rel=1e-3,
    )
    assert [routed_notifications(u) for u in experts] == [1, 1, 1, 0]
    assert routed_notifications(bystander) == 0
    question.refresh_from_db()
    assert question.routing_state == Question.RoutingState.ROUTING
    assert question.routing_wave == 1
    assert about(question.next_wave_at, MONDAY_10 + timedelta(minutes=10))


def test_people_working_now_and_online_rank_above_equal_experts_who_are_not(org, terraform):
    asker = person(org)
    night_owl = person(org, skills=[terraform], tz="Asia/Tokyo")  # 19:00 in Tokyo: off work
    offline = person(org, skills=[terraform])
    online = person(org, skills=[terraform])
    presence.heartbeat(online.pk, "specific.channel", presence.ONLINE)
    question = ask(asker, [terraform])

    ranked = waves.rank_candidates(question)

    assert [c.user_id for c in ranked] == [online.pk, offline.pk, night_owl.pk]
    assert ranked[0].breakdown["presence"] == "online"
    assert ranked[2].breakdown["working_now"] is False


def test_proven_competence_and_a_record_of_answering_raise_the_rank(org, terraform):
    asker = person(org)
    plain = person(org, skills=[terraform])
    proven = person(org, skills=[terraform])
    TrustScore.objects.create(
        subject=proven,
        organization=org,
        dimension="competence",
        skill=terraform,
        skill_key=terraform.pk,
        alpha=20,
        beta=2,
        mean=0.9,
        lower=0.82,
        upper=0.96,
        evidence_count=12,
    )
    question = ask(asker, [terraform])

    ranked = waves.rank_candidates(question)

    assert [c.user_id for c in ranked] == [proven.pk, plain.pk]
    # twelve pieces of evidence outweigh the declared level: close to what the evidence says
    assert 0.82 < ranked[0].breakdown["competence"] <= 0.9
    assert ranked[1].breakdown["competence"] <= 0.62  # a declared level alone is a weak prior


def test_words_of_the_question_match_profiles_when_no_skill_is_given(org):
    asker = person(org)
    writer = person(org, headline="Terraform and AWS modules")
    other = person(org, headline="Figma designer")
    question = ask(asker, title="Terraform module layout", body="Where do outputs go?")

    ranked = waves.rank_candidates(question)

    assert [c.user_id for c in ranked] == [writer.pk]
    assert ranked[0].breakdown["text_match"] > 0
    assert other.pk not in [c.user_id for c in ranked]


def test_the_asker_inactive_away_capped_already_asked_and_other_workspaces_are_never_asked(
    org, terraform, settings
):
    settings.ROUTING_DAILY_CAP = 1
    asker = person(org, skills=[terraform], level=5)
    away = person(org, skills=[terraform], level=5, away=True)
    left = person(org, skills=[terraform], level=5)
    Membership.objects.filter(user=left).update(is_active=False)
    capped = person(org, skills=[terraform], level=5)
    elsewhere = person(OrganizationFactory(), skills=[SkillFactory(name="Terraform")], level=5)
    fine = person(org, skills=[terraform], level=1)
    earlier = ask(person(org), [terraform])
    RoutingAttempt.objects.create(
        question=earlier,
        organization=org,
        candidate=capped,
        wave=1,
        rank=1,
        score=0.5,
        window_ends_at=clock.now() + timedelta(hours=1),
    )
    question = ask(asker, [terraform])

    ranked = [c.user_id for c in waves.rank_candidates(question)]

    assert ranked == [fine.pk]
    for excluded in (asker, away, left, capped, elsewhere):
        assert excluded.pk not in ranked


def test_exploration_gives_the_last_slot_to_a_promising_newcomer(org, terraform, settings, commit):
    settings.ROUTING_EXPLORATION_SHARE = 1.0
    asker = person(org)
    veterans = [person(org, skills=[terraform], level=5) for _ in range(4)]
    for veteran in veterans:  # a track record of answering: plenty of evidence
        for _ in range(3):
            other = ask(person(org), title="Older question", body="Older body")
            RoutingAttempt.objects.create(
                question=other,
                organization=org,
                candidate=veteran,
                wave=1,
                rank=1,
                score=0.5,
                outcome=RoutingAttempt.Outcome.ANSWERED,
                notified_at=clock.now() - timedelta(days=3),
                window_ends_at=clock.now() - timedelta(days=3) + timedelta(hours=1),
            )
    newcomer = person(org, skills=[terraform], level=3)

    with commit():
        question = ask(asker, [terraform])

    wave = list(RoutingAttempt.objects.filter(question=question).order_by("rank"))
    assert len(wave) == 3
    assert wave[2].candidate_id == newcomer.pk
    assert wave[2].exploration is True and wave[2].breakdown["exploration"] is True
    assert not wave[0].exploration and wave[0].candidate_id in {v.pk for v in veterans}


def test_without_exploration_the_newcomer_waits_for_a_later_wave(org, terraform, settings, commit):
    asker = person(org)
    veterans = [person(org, skills=[terraform], level=5) for _ in range(3)]
    newcomer = person(org, skills=[terraform], level=2)

    with commit():
        question = ask(asker, [terraform])

    assert set(asked(question)) == {v.pk for v in veterans}
    assert newcomer.pk not in asked(question)


# --- waves ------------------------------------------------------------------------------


def test_the_next_wave_goes_out_only_when_due_and_only_once(org, terraform, commit):
    asker = person(org)
    experts = [person(org, skills=[terraform], level=5 - i % 5) for i in range(8)]
    with commit():
        question = ask(asker, [terraform])
    first_wave = asked(question)

    with commit():
        tasks.routing_escalate.delay(question.pk, 1)  # eager: the countdown is not over yet
    assert asked(question) == first_wave

    with clock.travel_by(timedelta(minutes=10, seconds=1)), commit():
        tasks.routing_escalate.delay(question.pk, 1)
        tasks.routing_escalate.delay(question.pk, 1)  # a duplicate delivery changes nothing
        sweep.routing_sweep()  # neither does the safety net right after
    second = RoutingAttempt.objects.filter(question=question, wave=2)
    assert second.count() == 3
    assert not set(second.values_list("candidate_id", flat=True)) & set(first_wave)
    assert RoutingAttempt.objects.filter(question=question).count() == 6
    assert sum(routed_notifications(u) for u in experts) == 6
    question.refresh_from_db()
    assert question.routing_wave == 2


def test_the_beat_sweep_sends_a_wave_whose_countdown_task_was_lost(org, terraform, commit):
    asker = person(org)
    for _ in range(6):
        person(org, skills=[terraform])
    with commit():
        question = ask(asker, [terraform])

    with clock.travel_by(timedelta(minutes=9)), commit():
        assert sweep.routing_sweep()["waves"] == 0
    with clock.travel_by(timedelta(minutes=11)), commit():
        done = tasks.routing_sweep.delay()
        assert sweep.routing_sweep()["waves"] == 0  # already sent by the task just before

    assert done is not None
    assert RoutingAttempt.objects.filter(question=question, wave=2).count() == 3


def test_routing_stops_when_nobody_is_left_and_tells_the_asker(org, terraform, commit):
    asker = person(org)
    for _ in range(4):
        person(org, skills=[terraform])
    with commit():
        question = ask(asker, [terraform])
    with clock.travel_by(timedelta(minutes=11)), commit():
        sweep.routing_sweep()  # wave 2: the one person left
    with clock.travel_by(timedelta(minutes=22)), commit():
        sweep.routing_sweep()  # nobody left

    question.refresh_from_db()
    assert question.routing_state == Question.RoutingState.EXHAUSTED
    assert question.next_wave_at is None
    assert RoutingAttempt.objects.filter(question=question).count() == 4
    assert Notification.objects.filter(recipient=asker, kind="question.unrouted").count() == 1


def test_a_question_nobody_matches_is_exhausted_at_once(org, terraform, commit):
    asker = person(org)
    person(org)
    with commit():
        question = ask(asker, [terraform])
    question.refresh_from_db()
    assert question.routing_state == Question.RoutingState.EXHAUSTED
    assert asked(question) == []


def test_engagement_questions_are_not_routed(org, terraform, commit):
    from mentoring.models import Participant
    from tests.mentoring.factories import EngagementFactory

    asker, expert = person(org), person(org, skills=[terraform])
    engagement = EngagementFactory(
        organization=org, participants=[(asker, Participant.Role.SEEKER), (expert, Participant.Role.MENTOR)]
    )
    with commit():
        question = qa.question_ask(
            author=asker, title="t", body="b", scope="engagement", engagement_id=engagement.pk
        )
    question.refresh_from_db()
    assert question.routing_state == Question.RoutingState.IDLE
    assert asked(question) == []


# --- daily cap --------------------------------------------------------------------------


def test_nobody_gets_more_than_the_daily_cap_and_referrals_count(org, terraform, commit, settings):
    settings.ROUTING_DAILY_CAP = 2
    settings.ROUTING_WAVE_SIZE = 1
    star = person(org, skills=[terraform], level=5)
    backup = person(org, skills=[terraform], level=2)
    referrer = person(org, skills=[terraform], level=1)
    askers = [person(org) for _ in range(3)]

    with commit():
        first = ask(askers[0], [terraform])
        second = ask(askers[1], [terraform])
    assert asked(first) == [star.pk] and asked(second) == [star.pk]

    # a referral to the star is not an attempt once they are at the cap
    with commit():
        third = ask(askers[2], [terraform])
    assert asked(third) == [backup.pk]
    RoutingAttempt.objects.create(
        question=third,
        organization=org,
        candidate=referrer,
        wave=1,
        rank=2,
        score=0.1,
        window_ends_at=clock.now() + timedelta(hours=1),
    )
    with commit():
        result = replies.routing_respond(
            user=referrer, question_id=third.pk, action="refer", refer_to_id=star.pk
        )
    assert result.referral_status == "capped" and result.referred is None
    assert RoutingAttempt.objects.filter(candidate=star).count() == 2

    # a day later the star can be asked again
    with clock.travel_by(timedelta(hours=24, minutes=1)), commit():
        fourth = ask(askers[0], [terraform], title="Another Terraform question")
    assert asked(fourth) == [star.pk]


# --- pass / refer -----------------------------------------------------------------------


@pytest.fixture
def routed(org, terraform, commit):
    asker = person(org, full_name="Asa Asker")
    experts = [person(org, skills=[terraform], level=5 - i) for i in range(5)]
    with commit():
        question = ask(asker, [terraform])
    return question, asker, experts


def test_a_pass_is_a_timely_response_and_the_next_wave_goes_out_when_all_passed(routed, commit):
    question, _asker, experts = routed
    with commit():
        result = replies.routing_respond(user=experts[0], question_id=question.pk, action="pass")
    assert result.attempt.outcome == RoutingAttempt.Outcome.PASSED
    event = TrustEvent.objects.get(source_kind="routing_attempt", source_id=str(result.attempt.pk))
    assert (event.subject_id, event.dimension, event.outcome, event.actor_id) == (
        experts[0].pk,
        "responsiveness",
        1.0,
        None,
    )
    assert RoutingAttempt.objects.filter(question=question).count() == 3  # others still pending

    with commit():
        replies.routing_respond(user=experts[1], question_id=question.pk, action="pass")
        replies.routing_respond(user=experts[2], question_id=question.pk, action="pass")

    assert set(
        RoutingAttempt.objects.filter(question=question, wave=2).values_list("candidate_id", flat=True)
    ) == {
        experts[3].pk,
        experts[4].pk,
    }


def test_a_second_response_to_the_same_request_is_a_conflict(routed):
    question, _asker, experts = routed
    replies.routing_respond(user=experts[0], question_id=question.pk, action="pass")
    with pytest.raises(Conflict):
        replies.routing_respond(user=experts[0], question_id=question.pk, action="pass")


def test_a_referral_asks_the_colleague_with_a_note_of_who_referred(org, routed, commit):
    question, _asker, experts = routed
    colleague = person(org, full_name="Cleo Colleague")
    with commit():
        result = replies.routing_respond(
            user=experts[0], question_id=question.pk, action="refer", refer_to_id=colleague.pk
        )
    assert result.attempt.outcome == RoutingAttempt.Outcome.REFERRED
    assert result.referral_status == "asked"
    referred = RoutingAttempt.objects.get(question=question, candidate=colleague)
    assert referred.referred_by_id == experts[0].pk
    assert referred.breakdown["referred_by"] == experts[0].pk
    assert referred.outcome == RoutingAttempt.Outcome.PENDING
    notification = Notification.objects.get(recipient=colleague, kind="question.routed")
    assert experts[0].display_name in notification.title

    # referring someone already asked records the referral, asks nobody twice
    result = replies.routing_respond(
        user=experts[1], question_id=question.pk, action="refer", refer_to_id=experts[2].pk
    )
    assert result.referral_status == "already_asked"
    assert RoutingAttempt.objects.filter(question=question, candidate=experts[2]).count() == 1


@pytest.mark.parametrize("who", ["self", "asker"])
def test_referring_yourself_or_the_asker_is_rejected_and_changes_nothing(routed, who):
    question, asker, experts = routed
    target = experts[0] if who == "self" else asker
    with pytest.raises(ValidationFailed) as error:
        replies.routing_respond(
            user=experts[0], question_id=question.pk, action="refer", refer_to_id=target.pk
        )
    assert "refer_to" in error.value.fields
    assert RoutingAttempt.objects.get(question=question, candidate=experts[0]).outcome == "pending"


def test_referring_someone_outside_the_workspace_or_nobody_is_the_same_not_found(routed):
    question, _asker, experts = routed
    stranger = person(OrganizationFactory())
    errors = []
    for target in (stranger.pk, 999_999):
        with pytest.raises(NotFound) as error:
            replies.routing_respond(
                user=experts[0], question_id=question.pk, action="refer", refer_to_id=target
            )
        errors.append((error.value.message, error.value.fields))
    assert errors[0] == errors[1]
    assert RoutingAttempt.objects.get(question=question, candidate=experts[0]).outcome == "pending"


def test_bad_actions_and_people_the_question_was_not_routed_to_are_rejected(org, routed):
    question, asker, experts = routed
    with pytest.raises(ValidationFailed) as error:
        replies.routing_respond(user=experts[0], question_id=question.pk, action="ignore")
    assert "action" in error.value.fields
    with pytest.raises(ValidationFailed):
        replies.routing_respond(user=experts[0], question_id=question.pk, action="refer")
    for outsider in (experts[4], asker, person(OrganizationFactory())):
        with pytest.raises(NotFound):
            replies.routing_respond(user=outsider, question_id=question.pk, action="pass")


# --- outcomes and evidence --------------------------------------------------------------


def evidence(attempt):
    return TrustEvent.objects.get(source_kind="routing_attempt", source_id=str(attempt.pk)).outcome


def test_an_answer_within_the_window_is_answered_with_positive_evidence_and_ends_the_waves(routed, commit):
    question, _asker, experts = routed
    with clock.travel_by(timedelta(minutes=5)), commit():
        answer = qa.answer_post(author=experts[1], question_id=question.pk, body="Use modules.")
    attempt = RoutingAttempt.objects.get(question=question, candidate=experts[1])
    assert attempt.outcome == RoutingAttempt.Outcome.ANSWERED
    assert attempt.answer_id == answer.pk
    assert about(attempt.responded_at, MONDAY_10 + timedelta(minutes=5))
    assert evidence(attempt) == 1.0
    question.refresh_from_db()
    assert question.routing_state == Question.RoutingState.DONE

    with clock.travel_by(timedelta(minutes=30)), commit():
        sweep.routing_sweep()
    assert RoutingAttempt.objects.filter(question=question).count() == 3  # no second wave


def test_an_answer_after_the_working_window_is_late_with_negative_evidence(routed, commit):
    question, _asker, experts = routed
    with clock.travel_by(timedelta(minutes=61)), commit():
        qa.answer_post(author=experts[0], question_id=question.pk, body="Late, but here.")
    attempt = RoutingAttempt.objects.get(question=question, candidate=experts[0])
    assert attempt.outcome == RoutingAttempt.Outcome.LATE
    assert evidence(attempt) == 0.0


def test_the_sweep_marks_silence_missed_and_an_answer_after_that_is_late(routed, commit):
    question, _asker, experts = routed
    with clock.travel_by(timedelta(minutes=61)), commit():
        done = sweep.routing_sweep()
    assert done["missed"] >= 3
    attempt = RoutingAttempt.objects.get(question=question, candidate=experts[0])
    assert attempt.outcome == RoutingAttempt.Outcome.MISSED
    assert evidence(attempt) == 0.0

    with clock.travel_by(timedelta(minutes=90)), commit():
        qa.answer_post(author=experts[0], question_id=question.pk, body="Sorry, I was away.")
    attempt.refresh_from_db()
    assert attempt.outcome == RoutingAttempt.Outcome.LATE
    assert TrustEvent.objects.filter(source_kind="routing_attempt", source_id=str(attempt.pk)).count() == 1


def test_silence_after_someone_else_answered_in_time_is_no_failure(routed, commit):
    question, _asker, experts = routed
    with clock.travel_by(timedelta(minutes=3)), commit():
        qa.answer_post(author=experts[0], question_id=question.pk, body="Here you go.")
    with clock.travel_by(timedelta(minutes=61)), commit():
        sweep.routing_sweep()
    others = RoutingAttempt.objects.filter(question=question).exclude(candidate=experts[0])
    assert set(others.values_list("outcome", flat=True)) == {RoutingAttempt.Outcome.CANCELLED}
    assert not TrustEvent.objects.filter(
        source_kind="routing_attempt", subject__in=[experts[1], experts[2]]
    ).exists()


@pytest.mark.parametrize("settle", ["accept", "resolve"])
def test_accepting_an_answer_or_resolving_cancels_the_pending_requests(routed, commit, settle):
    question, asker, experts = routed
    with commit():
        answer = qa.answer_post(author=experts[0], question_id=question.pk, body="Do this.")
        if settle == "accept":
            qa.answer_accept(actor=asker, answer_id=answer.pk)
        else:
            qa.question_resolve(actor=asker, question_id=question.pk)
    outcomes = dict(RoutingAttempt.objects.filter(question=question).values_list("candidate_id", "outcome"))
    assert outcomes == {
        experts[0].pk: RoutingAttempt.Outcome.ANSWERED,
        experts[1].pk: RoutingAttempt.Outcome.CANCELLED,
        experts[2].pk: RoutingAttempt.Outcome.CANCELLED,
    }


# --- the window in working time -----------------------------------------------------------


def test_the_answer_window_counts_only_the_candidates_working_hours(org, terraform, commit):
    asker = person(org)
    expert = person(org, skills=[terraform])
    with clock.travel_to(datetime(2026, 11, 27, 16, 30, tzinfo=UTC)), commit():  # Friday 16:30
        question = ask(asker, [terraform])
    attempt = RoutingAttempt.objects.get(question=question, candidate=expert)
    # 30 minutes on Friday, the other 30 on Monday morning
    assert about(attempt.window_ends_at, datetime(2026, 11, 30, 9, 30, tzinfo=UTC))


def test_progress_counts_outcomes_and_routed_people_typing(routed, org):
    question, _asker, experts = routed
    replies.routing_respond(user=experts[0], question_id=question.pk, action="pass")
    assert replies.answer_typing(experts[1], question.pk) is True
    assert replies.answer_typing(person(org), question.pk) is False  # not routed: ignored
    question.refresh_from_db()

    progress = selectors.routing_progress(question)

    assert about(datetime.fromisoformat(progress.pop("next_wave_at")), MONDAY_10 + timedelta(minutes=10))
    assert progress == {
        "question": question.pk,
        "state": "routing",
        "sent": 3,
        "waves": 1,
        "pending": 2,
        "answered": 0,
        "passed": 1,
        "referred": 0,
        "missed": 0,
        "cancelled": 0,
        "typing": 1,
    }
    replies.answer_typing(experts[1], question.pk, typing=False)
    assert selectors.routing_progress(question)["typing"] == 0
    cache.clear()


def test_the_inbox_lists_pending_requests_first(org, terraform, commit):
    expert = person(org, skills=[terraform], level=5)
    with commit():
        older = ask(person(org), [terraform], title="Older Terraform question")
        newer = ask(person(org), [terraform], title="Newer Terraform question")
    replies.routing_respond(user=expert, question_id=older.pk, action="pass")

    inbox = list(selectors.routed_to(expert))

    assert [a.question_id for a in inbox] == [newer.pk, older.pk]
    assert inbox[0].outcome == RoutingAttempt.Outcome.PENDING


# --- wiring -----------------------------------------------------------------------------


def test_the_sweep_is_in_the_merged_beat_schedule_every_minute():
    from mentoring.config.celery import beat_schedule

    entry = beat_schedule()["messaging.routing_sweep"]
    assert entry["task"] == "messaging.routing_sweep"
    assert entry["schedule"] == timedelta(minutes=1)


def test_the_database_refuses_a_second_request_to_the_same_person(routed):
    from django.db import IntegrityError, transaction

    question, _asker, experts = routed
    with pytest.raises(IntegrityError), transaction.atomic():
        RoutingAttempt.objects.create(
            question=question,
            organization=question.organization,
            candidate=experts[0],
            wave=2,
            rank=1,
            score=0.1,
            window_ends_at=clock.now(),
        )


def test_the_evidence_source_knows_who_shared_the_request(routed):
    from trust.sources import get_source

    question, asker, experts = routed
    attempt = RoutingAttempt.objects.get(question=question, candidate=experts[0])
    source = get_source("routing_attempt")
    assert source.participants(attempt.pk) == {experts[0].pk, asker.pk}
    assert source.participants("nope") == set()
    assert source.is_rating is False


def test_someone_who_reached_the_cap_since_the_ranking_is_replaced_by_the_next(
    org, terraform, commit, settings, monkeypatch
):
    settings.ROUTING_DAILY_CAP = 1
    star = person(org, skills=[terraform], level=5)
    others = [person(org, skills=[terraform], level=3) for _ in range(4)]
    question = ask(person(org), [terraform])  # not committed here: routing has not started
    stale = waves.rank_candidates(question)
    assert stale[0].user_id == star.pk
    # meanwhile another question reached the star
    RoutingAttempt.objects.create(
        question=ask(person(org), [terraform], title="Another one"),
        organization=org,
        candidate=star,
        wave=1,
        rank=1,
        score=0.5,
        window_ends_at=clock.now() + timedelta(hours=1),
    )
    monkeypatch.setattr(waves, "rank_candidates", lambda question, now=None, wave=1: stale)

    with commit():
        waves.routing_start(question)

    assert star.pk not in asked(question)
    assert len(asked(question)) == 3 and set(asked(question)) <= {o.pk for o in others}


def test_posting_the_answer_ends_that_persons_typing_in_the_progress(routed):
    question, _asker, experts = routed
    assert replies.answer_typing(experts[1], question.pk) is True
    question.refresh_from_db()
    assert selectors.routing_progress(question)["typing"] == 1

    qa.answer_post(author=experts[1], question_id=question.pk, body="Use remote state.")

    question.refresh_from_db()
    progress = selectors.routing_progress(question)
    assert (progress["typing"], progress["answered"]) == (0, 1)
    cache.clear()
