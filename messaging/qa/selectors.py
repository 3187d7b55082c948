"""Reads of questions and answers, scoped to the viewer (DESIGN §4).

Visibility: a network question is visible to every active member of its
workspace; an engagement question only to the engagement's current
participants. ``access_question`` gives the same NotFound for a question that
does not exist, one in another workspace and an engagement question the viewer
is not part of. The writes are in ``messaging.qa.services``.
"""

from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from accounts.access import active_membership
from accounts.models import Skill
from core import read_cache
from core.errors import NotFound, ValidationFailed
from mentoring.models import Engagement, Participant
from messaging.models import Answer, AnswerVote, Question
from messaging.qa import read_topics

# Engagements in which new questions can still be asked.
ASKABLE_ENGAGEMENT_STATES = (Engagement.State.ACTIVE, Engagement.State.WRAPPING_UP)
SEARCH_CONFIG = "english"


def organization_id_of(user) -> int | None:
    """The workspace of ``user``'s active membership, or None (also when signed out)."""
    membership = active_membership(user)
    return membership.organization_id if membership else None


def questions_visible_to(viewer) -> QuerySet[Question]:
    """Every question ``viewer`` may read: network questions of their workspace and
    questions of engagements they currently take part in."""
    organization_id = organization_id_of(viewer)
    if organization_id is None:
        return Question.objects.none()
    mine = Participant.objects.filter(
        engagement_id=OuterRef("engagement_id"), user_id=viewer.pk, left_at__isnull=True
    )
    return Question.objects.filter(organization_id=organization_id).filter(
        Q(scope=Question.Scope.NETWORK) | Q(Exists(mine))
    )


def kept_for_viewer(viewer, parts) -> read_cache.Entry:
    """The read cache's entry (``core.read_cache``, topic ``questions``) for a read of
    questions as ``viewer`` sees them, shared by everyone of the workspace who is in the
    same engagements: network questions are everyone's, an engagement's only its
    current participants'. ``parts``: everything else the read depends on."""
    engagements = tuple(
        Participant.objects.filter(user_id=viewer.pk, left_at__isnull=True)
        .order_by("engagement_id")
        .values_list("engagement_id", flat=True)
    )
    return read_cache.Entry(read_topics.QUESTIONS, organization_id_of(viewer), (parts, engagements))


def cached_for_viewer(viewer, parts, compute):
    """``compute()`` through ``kept_for_viewer``'s entry."""
    return kept_for_viewer(viewer, parts).fetch(compute)


def _question_id(value) -> int:
    try:
        question_id = int(value)
    except (TypeError, ValueError):
        raise NotFound("No such question.") from None
    if isinstance(value, bool) or question_id < 1:
        raise NotFound("No such question.")
    return question_id


def access_question(user, question_id, *, for_update: bool = False) -> Question:
    """The question if ``user`` may read it, else NotFound (the same answer for one
    that does not exist). ``for_update`` locks the row (inside a transaction)."""
    question_id = _question_id(question_id)
    rows = questions_visible_to(user).select_related("author", "engagement")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    question = rows.filter(pk=question_id).first()
    if question is None:
        raise NotFound("No such question.")
    return question


def access_answer(user, answer_id, *, for_update: bool = False) -> Answer:
    """The answer if ``user`` may read its question, else NotFound."""
    try:
        answer_id = int(answer_id)
    except (TypeError, ValueError):
        raise NotFound("No such answer.") from None
    question_id = Answer.objects.filter(pk=answer_id).values_list("question_id", flat=True).first()
    if question_id is None:
        raise NotFound("No such answer.")
    try:
        question = access_question(user, question_id, for_update=for_update)
    except NotFound:
        raise NotFound("No such answer.") from None
    answer = Answer.objects.select_related("author").get(pk=answer_id)
    answer.question = question
    return answer


def _with_list_joins(questions: QuerySet[Question]) -> QuerySet[Question]:
    """The page's authors and engagements read by id after the page is chosen, not joined:
    joined, PostgreSQL hashes every user and engagement of the database (other workspaces'
    too) to sort a few hundred of this workspace's questions (decision 0016)."""
    return questions.prefetch_related(
        "author", "engagement", Prefetch("skills", queryset=Skill.objects.order_by("name"))
    ).annotate(
        # a subquery, not Count(): no GROUP BY next to the search vector
        answer_count=Coalesce(
            Subquery(
                Answer.objects.filter(question_id=OuterRef("pk"))
                .values("question_id")
                .annotate(n=Count("pk"))
                .values("n")[:1],
                output_field=IntegerField(),
            ),
            0,
        )
    )


def questions_search(viewer, q: str = "", *, skill_id=None, state=None) -> QuerySet[Question]:
    """Questions ``viewer`` may read matching ``q`` in the title, body or answers,
    best match first (newest first without ``q``). PostgreSQL: full-text search
    ranked title (A) > body (B) > answers (C); SQLite: every word must occur
    somewhere (case-insensitive). Paginate the result."""
    errors: dict[str, list[str]] = {}
    if state not in (None, "") and state not in Question.State.values:
        errors["state"] = [f"Use one of: {', '.join(Question.State.values)}."]
    skill_pk = None
    if skill_id not in (None, ""):
        try:
            skill_pk = int(skill_id)
        except (TypeError, ValueError):
            errors["skill"] = ["Give the id of a skill."]
    q = " ".join((q or "").split())
    if len(q) > 200:
        errors["q"] = ["Search for at most 200 characters."]
    if errors:
        raise ValidationFailed("The search is invalid: " + ", ".join(sorted(errors)) + ".", fields=errors)

    questions = questions_visible_to(viewer)
    if state:
        questions = questions.filter(state=state)
    if skill_pk is not None:
        questions = questions.filter(
            Exists(Question.skills.through.objects.filter(question_id=OuterRef("pk"), skill_id=skill_pk))
        )
    if not q:
        return _with_list_joins(questions).order_by("-created_at", "-pk")
    if connection.vendor == "postgresql":
        # the stored vector (title A, body B, answers C; migration 0008) through the GIN
        # index on (organization_id, search_vector): only this workspace's matches are read
        query = SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG)
        questions = (
            questions.filter(search_vector=query)
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank", "-created_at", "-pk")
        )
        return _with_list_joins(questions)
    for word in q.split():
        in_answers = Answer.objects.filter(question_id=OuterRef("pk"), body__icontains=word)
        questions = questions.filter(
            Q(title__icontains=word) | Q(body__icontains=word) | Q(Exists(in_answers))
        )
    return _with_list_joins(questions).order_by("-created_at", "-pk")


@dataclass
class QuestionPage:
    question: Question
    answers: list[Answer]
    can_answer: bool
    is_asker: bool


def question_detail(viewer, question_id) -> QuestionPage:
    """The question with its answers, accepted first, then most helpful, then
    oldest; each answer carries ``voted`` (did the viewer vote it helpful)."""
    question = access_question(viewer, question_id)
    voted = AnswerVote.objects.filter(answer_id=OuterRef("pk"), voter_id=viewer.pk)
    answers = list(
        Answer.objects.filter(question=question)
        .select_related("author")
        .annotate(voted=Exists(voted))
        .order_by("-accepted", "-helpful_count", "created_at", "pk")
    )
    skills = list(question.skills.order_by("name"))
    question.skill_list = skills
    is_asker = question.author_id == viewer.pk
    return QuestionPage(
        question=question,
        answers=answers,
        can_answer=not is_asker and question.state != Question.State.RESOLVED,
        is_asker=is_asker,
    )


def askable_engagements(user) -> QuerySet[Engagement]:
    """The engagements ``user`` can ask a question in (current participant, still running)."""
    return Engagement.objects.filter(
        participants__user_id=user.pk,
        participants__left_at__isnull=True,
        state__in=ASKABLE_ENGAGEMENT_STATES,
    ).order_by("-starts_at", "-pk")
