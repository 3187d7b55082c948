"""Writes of questions and answers (DESIGN §4): the asynchronous half of "learning
in the moment". The reads are in ``messaging.qa.selectors``.

Services take keyword-only arguments, own their transaction, lock the question
row for state changes (``QUESTION_MOVES``), raise ``core.errors`` naming the field,
notify through ``messaging.notifications.notify.notify`` (delivered after commit),
tell the layers above through ``messaging.qa.signals`` (routing listens) and write
competence evidence only through ``trust.services.record_evidence`` (source kinds
in ``messaging.qa.trust_sources``):

- accepted answer → outcome 1 per skill of the question (actor: the asker);
- resolved question → 0.3 per skill for each answer never accepted (an observed
  fact, no actor);
- helpful vote → outcome 1 with weight 0.5 per skill (actor: the voter).

A question without skills produces no competence evidence (competence is
always about a skill).
"""

from django.db import transaction
from django.db.models import F

from accounts.models import Membership, Skill
from core import clock
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.markdown import render_markdown
from core.transitions import StateMachine
from messaging.models import MAX_BODY_CHARS, QUESTION_TITLE_CHARS, Answer, AnswerVote, Question
from messaging.notifications.notify import notify
from messaging.qa.selectors import access_answer, access_question, askable_engagements, organization_id_of
from messaging.qa.signals import answer_posted, question_asked, question_settled

MAX_SKILLS = 5
ACCEPTED_OUTCOME = 1.0
UNACCEPTED_OUTCOME = 0.3
HELPFUL_OUTCOME = 1.0
HELPFUL_WEIGHT = 0.5
SOURCE_ACCEPTED = "answer.accepted"
SOURCE_UNACCEPTED = "answer.unaccepted"
SOURCE_HELPFUL = "answer.helpful"

# Every change of Question.state goes through this map (on a locked row).
QUESTION_MOVES = StateMachine(
    Question.State,
    {
        Question.State.OPEN: {Question.State.ANSWERED, Question.State.RESOLVED},
        Question.State.ANSWERED: {Question.State.RESOLVED},
        Question.State.RESOLVED: set(),
    },
    noun="question",
)


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
    organization_id = organization_id_of(author)
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
        question_asked.send(sender=Question, question=question)  # routing: ask the network after commit
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
            QUESTION_MOVES.move(question, Question.State.ANSWERED)
            question.save(update_fields=["state"])
        answer_posted.send(sender=Question, question=question, answer=answer)  # routing: answered or late
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
        if question.state != Question.State.ANSWERED:
            QUESTION_MOVES.move(question, Question.State.ANSWERED)
        question.save(update_fields=["accepted_answer", "state"])
        question_settled.send(sender=Question, question=question)  # routing: pending requests are cancelled
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
        QUESTION_MOVES.move(question, Question.State.RESOLVED)
        question.resolved_at = clock.now()
        question.save(update_fields=["state", "resolved_at"])
        question_settled.send(sender=Question, question=question)  # routing: pending requests are cancelled
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
