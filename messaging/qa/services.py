"""Questions and answers: selectors (reads, scoped to the viewer) and services
(writes). The asynchronous half of "learning in the moment" (DESIGN §4).

Visibility: a network question is visible to every active member of its
workspace; an engagement question only to the engagement's current
participants. ``access_question`` gives the same NotFound for a question that
does not exist, one in another workspace and an engagement question the viewer
is not part of.

Services take keyword-only arguments, own their transaction, lock the question
row for state changes, raise ``core.errors`` naming the field, notify
through ``messaging.notifications.notify.notify`` (delivered after commit) and write
competence evidence only through ``trust.services.record_evidence``
(source kinds in ``messaging.qa.trust_sources``):

- accepted answer → outcome 1 per skill of the question (actor: the asker);
- resolved question → 0.3 per skill for each answer never accepted (an observed
  fact, no actor);
- helpful vote → outcome 1 with weight 0.5 per skill (actor: the voter).

A question without skills produces no competence evidence (competence is
always about a skill).
"""

from dataclasses import dataclass

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection, transaction
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
    TextField,
)
from django.db.models.functions import Coalesce

from accounts.models import Membership, Skill
from core import clock
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.markdown import render_markdown
from mentoring.models import Engagement, Participant
from messaging.models import MAX_BODY_CHARS, QUESTION_TITLE_CHARS, Answer, AnswerVote, Question
from messaging.notifications.notify import notify

MAX_SKILLS = 5
ACCEPTED_OUTCOME = 1.0
UNACCEPTED_OUTCOME = 0.3
HELPFUL_OUTCOME = 1.0
HELPFUL_WEIGHT = 0.5
SOURCE_ACCEPTED = "answer.accepted"
SOURCE_UNACCEPTED = "answer.unaccepted"
SOURCE_HELPFUL = "answer.helpful"
# Engagements in which new questions can still be asked.
ASKABLE_ENGAGEMENT_STATES = (Engagement.State.ACTIVE, Engagement.State.WRAPPING_UP)
SEARCH_CONFIG = "english"


# --- selectors ----------------------------------------------------------------------


def _organization_id(user) -> int | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Membership.objects.filter(user_id=user.pk, is_active=True)
        .values_list("organization_id", flat=True)
        .first()
    )


def questions_visible_to(viewer) -> QuerySet[Question]:
    """Every question ``viewer`` may read: network questions of their workspace and
    questions of engagements they currently take part in."""
    organization_id = _organization_id(viewer)
    if organization_id is None:
        return Question.objects.none()
    mine = Participant.objects.filter(
        engagement_id=OuterRef("engagement_id"), user_id=viewer.pk, left_at__isnull=True
    )
    return Question.objects.filter(organization_id=organization_id).filter(
        Q(scope=Question.Scope.NETWORK) | Q(Exists(mine))
    )


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
    return (
        questions.select_related("author", "engagement")
        .prefetch_related(Prefetch("skills", queryset=Skill.objects.order_by("name")))
        .annotate(
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
        answers_text = Subquery(
            Answer.objects.filter(question_id=OuterRef("pk"))
            .values("question_id")
            .annotate(text=StringAgg("body", delimiter=" "))
            .values("text")[:1],
            output_field=TextField(),
        )
        vector = (
            SearchVector("title", weight="A", config=SEARCH_CONFIG)
            + SearchVector("body", weight="B", config=SEARCH_CONFIG)
            + SearchVector(answers_text, weight="C", config=SEARCH_CONFIG)
        )
        query = SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG)
        questions = (
            questions.annotate(search=vector)
            .filter(search=query)
            .annotate(rank=SearchRank(F("search"), query))
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


# --- services -----------------------------------------------------------------------


def _clean_body(body, errors: dict, *, field: str = "body", what: str = "the question") -> str:
    text = body if isinstance(body, str) else ""
    if not text.strip():
        errors[field] = [f"Write {what}: the text cannot be empty."]
    elif len(text) > MAX_BODY_CHARS:
        errors[field] = [f"Shorten the text to at most {MAX_BODY_CHARS:,} characters (it has {len(text):,})."]
    return text.strip()


def _raise(errors: dict, what: str) -> None:
    if errors:
        raise ValidationFailed(f"{what}: check " + ", ".join(sorted(errors)) + ".", fields=errors)


def _active_member_ids(user_ids) -> set[int]:
    return set(
        Membership.objects.filter(user_id__in=user_ids, is_active=True).values_list("user_id", flat=True)
    )


def question_ask(*, author, title: str, body: str, scope: str, engagement_id=None, skill_ids=()) -> Question:
    """``author`` asks a question. Network scope: any active member; engagement
    scope: a current participant of that running engagement. Skills must be of
    the author's workspace (at most 5). Nothing is stored when anything is wrong."""
    organization_id = _organization_id(author)
    if organization_id is None:
        raise PermissionDenied("Join a workspace before asking questions.")
    errors: dict[str, list[str]] = {}
    title = " ".join((title if isinstance(title, str) else "").split())
    if not title:
        errors["title"] = ["Give the question a short title."]
    elif len(title) > QUESTION_TITLE_CHARS:
        errors["title"] = [f"Shorten the title to at most {QUESTION_TITLE_CHARS} characters."]
    body = _clean_body(body, errors)
    engagement = None
    if scope not in Question.Scope.values:
        errors["scope"] = ["Ask the whole network or one of your engagements."]
    elif scope == Question.Scope.ENGAGEMENT:
        try:
            engagement_pk = int(engagement_id) if engagement_id not in (None, "") else None
        except (TypeError, ValueError):
            engagement_pk = None
        engagement = askable_engagements(author).filter(pk=engagement_pk).first() if engagement_pk else None
        if engagement is None:
            errors["engagement"] = ["Pick one of your running engagements (or ask the whole network)."]
    elif engagement_id not in (None, ""):
        errors["engagement"] = ["A network question is not tied to an engagement: leave it empty."]
    try:
        wanted = {int(pk) for pk in (skill_ids or ())}
    except (TypeError, ValueError):
        wanted = None
        errors["skills"] = ["Give skills by their ids."]
    skills: list[Skill] = []
    if wanted:
        if len(wanted) > MAX_SKILLS:
            errors["skills"] = [f"Pick at most {MAX_SKILLS} skills."]
        skills = list(Skill.objects.filter(pk__in=wanted, organization_id=organization_id))
        if len(skills) != len(wanted) and "skills" not in errors:
            errors["skills"] = ["Pick skills of your workspace."]
    _raise(errors, "The question is incomplete")

    with transaction.atomic():
        question = Question.objects.create(
            organization_id=organization_id,
            author=author,
            title=title,
            body=body,
            body_html=render_markdown(body),
            scope=scope,
            engagement=engagement,
        )
        question.skills.set(skills)
        from messaging.routing.engine import routing_start_on_commit

        routing_start_on_commit(question)  # network questions: ask the network after commit
    return question


def answer_post(*, author, question_id, body: str) -> Answer:
    """``author`` answers a question they can read. Not their own question
    (PermissionDenied), not a resolved one (Conflict). Locks the question row;
    notifies the asker after commit."""
    errors: dict[str, list[str]] = {}
    text = _clean_body(body, errors, what="your answer")
    with transaction.atomic():
        question = access_question(author, question_id, for_update=True)
        if question.author_id == author.pk:
            raise PermissionDenied(
                "You cannot answer your own question.",
                fields={"body": ["You cannot answer your own question; add details to it instead."]},
            )
        if question.state == Question.State.RESOLVED:
            raise Conflict(
                "This question is resolved and takes no more answers.",
                fields={"body": ["The asker resolved this question; it takes no more answers."]},
            )
        _raise(errors, "The answer is incomplete")
        answer = Answer.objects.create(
            question=question, author=author, body=text, body_html=render_markdown(text)
        )
        if question.state == Question.State.OPEN:
            question.state = Question.State.ANSWERED
            question.save(update_fields=["state"])
        from messaging.routing.engine import routing_on_answer

        routing_on_answer(question, answer)  # the author's routed request: answered or late
        notify(
            recipients=[question.author],
            kind="question.answered",
            subject=f"{author.display_name} answered “{question.title}”",
            body=text,
            link=question.get_absolute_url(),
        )
    return answer


def _record_competence(
    question: Question, answer: Answer, *, actor, source_kind, source_id, outcome, weight=1.0
):
    from trust.services import record_evidence

    if not _active_member_ids([answer.author_id]):
        return  # evidence only about active members; a departed answerer is skipped
    for skill in question.skills.all():
        record_evidence(
            subject=answer.author,
            actor=actor,
            dimension="competence",
            outcome=outcome,
            source_kind=source_kind,
            source_id=source_id,
            skill=skill,
            weight=weight,
        )


def answer_accept(*, actor, answer_id) -> Answer:
    """The asker accepts one answer (accepting another one switches; accepting the
    accepted one changes nothing). Others: PermissionDenied. Not on a resolved
    question (Conflict). Competence evidence (1) per skill, once per answer;
    the answerer is notified."""
    with transaction.atomic():
        answer = access_answer(actor, answer_id, for_update=True)
        question = answer.question
        if question.author_id != actor.pk:
            raise PermissionDenied(
                "Only the person who asked can accept an answer.",
                fields={"answer": ["Only the asker can accept an answer to this question."]},
            )
        if question.state == Question.State.RESOLVED:
            raise Conflict(
                "This question is resolved; its accepted answer can no longer change.",
                fields={"answer": ["The question is resolved."]},
            )
        if answer.accepted:
            return answer
        Answer.objects.filter(question=question, accepted=True).update(accepted=False)
        answer.accepted = True
        first_time = answer.first_accepted_at is None
        if first_time:
            answer.first_accepted_at = clock.now()
        answer.save(update_fields=["accepted", "first_accepted_at"])
        question.accepted_answer = answer
        question.state = Question.State.ANSWERED
        question.save(update_fields=["accepted_answer", "state"])
        from messaging.routing.engine import routing_on_settled

        routing_on_settled(question)  # pending routed requests are cancelled
        _record_competence(
            question,
            answer,
            actor=actor,
            source_kind=SOURCE_ACCEPTED,
            source_id=answer.pk,
            outcome=ACCEPTED_OUTCOME,
        )
        notify(
            recipients=[answer.author],
            kind="question.accepted",
            subject=f"{actor.display_name} accepted your answer to “{question.title}”",
            body=answer.body,
            link=question.get_absolute_url(),
        )
    return answer


def answer_vote_helpful(*, voter, answer_id) -> Answer:
    """``voter`` marks an answer helpful: once per person (a repeat changes
    nothing), never their own answer (PermissionDenied). Competence evidence
    with weight 0.5 per skill of the question."""
    with transaction.atomic():
        answer = access_answer(voter, answer_id, for_update=True)
        if answer.author_id == voter.pk:
            raise PermissionDenied(
                "You cannot vote for your own answer.",
                fields={"answer": ["Votes are for other people's answers."]},
            )
        vote, created = AnswerVote.objects.get_or_create(answer=answer, voter=voter)
        if not created:
            return answer
        Answer.objects.filter(pk=answer.pk).update(helpful_count=F("helpful_count") + 1)
        answer.helpful_count += 1
        _record_competence(
            answer.question,
            answer,
            actor=voter,
            source_kind=SOURCE_HELPFUL,
            source_id=vote.pk,
            outcome=HELPFUL_OUTCOME,
            weight=HELPFUL_WEIGHT,
        )
    return answer


def question_resolve(*, actor, question_id) -> Question:
    """The asker closes the question (idempotent; others: PermissionDenied). Every
    answer that was never accepted becomes competence evidence of 0.3 per skill
    (answered but not accepted)."""
    with transaction.atomic():
        question = access_question(actor, question_id, for_update=True)
        if question.author_id != actor.pk:
            raise PermissionDenied(
                "Only the person who asked can resolve this question.",
                fields={"question": ["Only the asker can resolve it."]},
            )
        if question.state == Question.State.RESOLVED:
            return question
        question.state = Question.State.RESOLVED
        question.resolved_at = clock.now()
        question.save(update_fields=["state", "resolved_at"])
        from messaging.routing.engine import routing_on_settled

        routing_on_settled(question)  # pending routed requests are cancelled
        for answer in Answer.objects.filter(question=question, first_accepted_at__isnull=True).select_related(
            "author"
        ):
            _record_competence(
                question,
                answer,
                actor=None,
                source_kind=SOURCE_UNACCEPTED,
                source_id=answer.pk,
                outcome=UNACCEPTED_OUTCOME,
            )
    return question
