"""Reads of "ask the network" routing: the asker's progress, the candidate's inbox and
one question's routing as a viewer may see it."""

from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, QuerySet, Value, When

from accounts.access import active_membership, is_talent_manager_of
from core.errors import NotFound
from messaging.models import Question, RoutingAttempt
from messaging.qa.selectors import access_question
from messaging.routing.typing import typing_now


def routing_progress(question) -> dict:
    """What the asker sees: ``{"question", "state", "sent", "waves", "pending",
    "answered", "passed", "referred", "missed", "cancelled", "typing",
    "next_wave_at"}`` (answered counts late answers too; typing = routed people
    typing an answer now)."""
    counts = dict(
        RoutingAttempt.objects.filter(question_id=question.pk)
        .values("outcome")
        .annotate(n=Count("id"))
        .values_list("outcome", "n")
    )
    outcome = RoutingAttempt.Outcome
    return {
        "question": question.pk,
        "state": question.routing_state,
        "sent": sum(counts.values()),
        "waves": question.routing_wave,
        "pending": counts.get(outcome.PENDING, 0),
        "answered": counts.get(outcome.ANSWERED, 0) + counts.get(outcome.LATE, 0),
        "passed": counts.get(outcome.PASSED, 0),
        "referred": counts.get(outcome.REFERRED, 0),
        "missed": counts.get(outcome.MISSED, 0),
        "cancelled": counts.get(outcome.CANCELLED, 0),
        "typing": len(typing_now(question.pk)),
        "next_wave_at": question.next_wave_at.isoformat() if question.next_wave_at else None,
    }


def routed_to(user) -> QuerySet[RoutingAttempt]:
    """The user's routed questions for the "Questions for you" inbox: pending first
    (the window ending soonest first), then the rest newest first; only questions of
    their current workspace."""
    membership = active_membership(user)
    if membership is None:
        return RoutingAttempt.objects.none()
    return (
        RoutingAttempt.objects.filter(candidate_id=user.pk, organization_id=membership.organization_id)
        .select_related("candidate", "question__author", "referred_by")
        .annotate(
            is_pending=Case(
                When(outcome=RoutingAttempt.Outcome.PENDING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("is_pending", "window_ends_at", "-notified_at", "-pk")
    )


@dataclass
class RoutingView:
    question: Question
    role: str  # asker | manager | candidate
    progress: dict
    attempts: list[RoutingAttempt]
    mine: RoutingAttempt | None


def routing_detail(viewer, question_id) -> RoutingView:
    """Routing of one question for ``viewer``: the asker sees progress and who was
    asked (names, waves, outcomes; no scores); a talent manager of the workspace
    sees everything including scores; a candidate sees progress and their own
    attempt. Anyone else: NotFound (the same as a question that does not exist)."""
    question = access_question(viewer, question_id)
    attempts = list(
        RoutingAttempt.objects.filter(question_id=question.pk)
        .select_related("candidate", "referred_by")
        .order_by("wave", "rank", "pk")
    )
    mine = next((a for a in attempts if a.candidate_id == viewer.pk), None)
    if question.author_id == viewer.pk:
        role = "asker"
    elif is_talent_manager_of(viewer, question.organization_id):
        role = "manager"
    elif mine is not None:
        role = "candidate"
        attempts = []
    else:
        raise NotFound("No such question.")
    return RoutingView(
        question=question, role=role, progress=routing_progress(question), attempts=attempts, mine=mine
    )
