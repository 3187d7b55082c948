"""What becomes of a routed request: the candidate passes, refers a colleague, types
or answers; the question is settled (DESIGN §6).

Outcomes: answered (in the window) or late, passed, referred, missed (the window
ended; ``messaging.routing.sweep``), cancelled (an answer was accepted, the question
resolved, or someone else answered before the window ended). Responsiveness
evidence (source kind ``routing_attempt``, an observed fact): 1 for an answer, pass
or referral within the window, 0 for a late answer, a late pass and a miss.

``routing_on_answer`` and ``routing_on_settled`` run inside the Q&A services'
transactions (``messaging.routing.receivers`` connects them to
``messaging.qa.signals``), with the question row locked.
"""

from dataclasses import dataclass

from django.db import transaction

from accounts.models import Membership, Profile, User
from core import clock
from core.errors import Conflict, NotFound, ValidationFailed
from messaging.models import Answer, Question, RoutingAttempt
from messaging.qa.selectors import access_question
from messaging.routing import params, waves
from messaging.routing.progress import progress_on_commit
from messaging.routing.typing import typing_mark, typing_stop
from trust.params import RESPONSIVENESS

ACTIONS = ("pass", "refer")


# --- evidence -------------------------------------------------------------------------------


def record_responsiveness(attempt: RoutingAttempt, *, in_time: bool) -> None:
    """Responsiveness evidence about the candidate: 1 in time, 0 otherwise (active members only)."""
    from trust.services import record_evidence

    if not Membership.objects.filter(user_id=attempt.candidate_id, is_active=True).exists():
        return  # evidence only about active members
    record_evidence(
        subject=attempt.candidate,
        actor=None,
        dimension=RESPONSIVENESS,
        outcome=1.0 if in_time else 0.0,
        source_kind=params.SOURCE_KIND,
        source_id=attempt.pk,
        occurred_at=attempt.responded_at or attempt.window_ends_at,
    )


# --- pass / refer ---------------------------------------------------------------------------


@dataclass
class RoutingResponse:
    attempt: RoutingAttempt
    referred: RoutingAttempt | None = None
    # refer only: asked | already_asked | away | capped
    referral_status: str | None = None


def _own_attempt(user, question_id, *, for_update: bool) -> tuple[Question, RoutingAttempt]:
    question = access_question(user, question_id, for_update=for_update)
    rows = RoutingAttempt.objects.select_related("candidate", "referred_by")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    attempt = rows.filter(question_id=question.pk, candidate_id=user.pk).first()
    if attempt is None:
        raise NotFound("No such question was routed to you.")
    return question, attempt


def _parse_response(action: str, refer_to_id) -> int | None:
    errors: dict[str, list[str]] = {}
    if action not in ACTIONS:
        errors["action"] = ["Use pass or refer."]
    target_id = None
    if action == "refer":
        try:
            target_id = int(refer_to_id)
            if isinstance(refer_to_id, bool) or target_id < 1:
                raise ValueError
        except (TypeError, ValueError):
            errors["refer_to"] = ["Pick the colleague you refer by their id."]
    elif refer_to_id not in (None, ""):
        errors["refer_to"] = ["Only a referral names a colleague; leave refer_to empty to pass."]
    if errors:
        raise ValidationFailed("The response is invalid: " + ", ".join(sorted(errors)) + ".", fields=errors)
    return target_id


def _referee(question: Question, target_id: int, user) -> User:
    if target_id == user.pk:
        raise ValidationFailed(
            "You cannot refer yourself.", fields={"refer_to": ["Refer a colleague, or pass."]}
        )
    if target_id == question.author_id:
        raise ValidationFailed(
            "The asker cannot be referred to their own question.",
            fields={"refer_to": ["Refer someone who might know the answer, not the asker."]},
        )
    target = User.objects.filter(
        pk=target_id,
        is_active=True,
        membership__organization_id=question.organization_id,
        membership__is_active=True,
    ).first()
    if target is None:
        raise NotFound(
            "No such person in your workspace.",
            fields={"refer_to": ["Pick an active member of your workspace."]},
        )
    return target


def routing_respond(*, user, question_id, action: str, refer_to_id=None) -> RoutingResponse:
    """A routed candidate passes or refers a colleague (``action``: pass | refer).

    Only the candidate's own pending attempt (NotFound when the question was not
    routed to them or they may not see it; Conflict when they already responded or
    the window was closed as missed). A referral names an active member of the same
    workspace other than themselves and the asker (ValidationFailed on
    ``refer_to``; one NotFound for anyone else). The referred person gets their own
    attempt unless already asked, away or at the daily cap (``referral_status``).
    Responding within the window is responsiveness evidence (1), after it 0. When
    nobody asked is still pending, the next wave goes out at once."""
    target_id = _parse_response(action, refer_to_id)
    now = clock.now()
    with transaction.atomic():
        question, attempt = _own_attempt(user, question_id, for_update=True)
        if attempt.outcome != RoutingAttempt.Outcome.PENDING:
            raise Conflict(
                "You already responded to this question, or its window has closed.",
                fields={
                    "action": [f"Your request is {attempt.get_outcome_display().lower()}; answer instead."]
                },
            )
        if question.state == Question.State.RESOLVED:
            raise Conflict(
                "The asker resolved this question.",
                fields={"action": ["The question is resolved; nothing to respond to."]},
            )
        target = _referee(question, target_id, user) if target_id is not None else None
        in_time = now <= attempt.window_ends_at
        attempt.outcome = RoutingAttempt.Outcome.REFERRED if target else RoutingAttempt.Outcome.PASSED
        attempt.responded_at = now
        attempt.save(update_fields=["outcome", "responded_at"])
        record_responsiveness(attempt, in_time=in_time)

        response = RoutingResponse(attempt=attempt)
        if target is not None:
            response.referral_status, response.referred = _refer(question, target, referrer=user, now=now)
        progress_on_commit(question)
        still_pending = RoutingAttempt.objects.filter(
            question_id=question.pk, outcome=RoutingAttempt.Outcome.PENDING
        ).exists()
        if (
            not still_pending
            and question.routing_state == Question.RoutingState.ROUTING
            and question.state == Question.State.OPEN
        ):
            question.refresh_from_db(fields=["routing_state", "routing_wave", "next_wave_at"])
            waves.advance(question, now)
    return response


def _refer(question: Question, target: User, *, referrer, now) -> tuple[str, RoutingAttempt | None]:
    if RoutingAttempt.objects.filter(question_id=question.pk, candidate_id=target.pk).exists():
        return "already_asked", None
    if Profile.objects.filter(user_id=target.pk, is_away=True).exists():
        return "away", None
    if target.pk not in waves.reserve(question.organization_id, [target.pk], now):
        return "capped", None
    candidate = waves.score_one(question, target.pk, now)
    if candidate is None:
        return "away", None
    attempt = waves.create_attempt(
        question, candidate, wave=max(question.routing_wave, 1), rank=0, now=now, referred_by=referrer
    )
    waves.notify_candidates(question, [attempt], referred_by=referrer)
    return "asked", attempt


# --- typing an answer -------------------------------------------------------------------------


def answer_typing(user, question_id, typing: bool = True) -> bool:
    """A routed candidate is (or stopped) typing an answer (ephemeral, in the cache
    for ``TYPING_SECONDS``; the socket refreshes it). Only people the question was
    routed to count. Tells the asker when the number of people typing changes.
    Returns whether the marker applies to this user."""
    try:
        question_id = int(question_id)
    except (TypeError, ValueError):
        return False
    routed = RoutingAttempt.objects.filter(question_id=question_id, candidate_id=user.pk).exists()
    if not routed:
        return False
    before, after = typing_mark(question_id, user.pk, typing)
    if after != before:
        question = Question.objects.filter(pk=question_id).first()
        if question is not None:
            progress_on_commit(question)
    return True


# --- hooks in the Q&A services' transactions ------------------------------------------------


def _end_waves(question: Question) -> None:
    """Routing of ``question`` (locked by the caller) is done: no further wave is due."""
    question.routing_state = Question.RoutingState.DONE
    question.next_wave_at = None
    question.save(update_fields=["routing_state", "next_wave_at"])


def routing_on_answer(question: Question, answer: Answer) -> None:
    """In ``answer_post``'s transaction (question locked): the author's pending (or
    missed) attempt becomes answered (in the window) or late, with its evidence;
    the first answer ends the waves."""
    if question.scope != Question.Scope.NETWORK:
        return
    now = clock.now()
    attempt = (
        RoutingAttempt.objects.select_for_update()
        .select_related("candidate")
        .filter(
            question_id=question.pk,
            candidate_id=answer.author_id,
            outcome__in=[RoutingAttempt.Outcome.PENDING, RoutingAttempt.Outcome.MISSED],
        )
        .first()
    )
    changed = False
    if attempt is not None:
        in_time = attempt.outcome == RoutingAttempt.Outcome.PENDING and now <= attempt.window_ends_at
        attempt.outcome = RoutingAttempt.Outcome.ANSWERED if in_time else RoutingAttempt.Outcome.LATE
        attempt.responded_at = now
        attempt.answer = answer
        attempt.save(update_fields=["outcome", "responded_at", "answer"])
        record_responsiveness(attempt, in_time=in_time)
        typing_stop(question.pk, answer.author_id)  # the progress frame below already says 0
        changed = True
    if question.routing_state == Question.RoutingState.ROUTING:
        _end_waves(question)
        changed = True
    if changed:
        progress_on_commit(question)


def routing_on_settled(question: Question) -> None:
    """In ``answer_accept`` / ``question_resolve`` (question locked): pending
    attempts are cancelled (no evidence) and the waves end."""
    if question.scope != Question.Scope.NETWORK:
        return
    cancelled = RoutingAttempt.objects.filter(
        question_id=question.pk, outcome=RoutingAttempt.Outcome.PENDING
    ).update(outcome=RoutingAttempt.Outcome.CANCELLED)
    changed = bool(cancelled)
    if question.routing_state in (Question.RoutingState.ROUTING, Question.RoutingState.EXHAUSTED):
        _end_waves(question)
        changed = True
    if changed:
        progress_on_commit(question)
