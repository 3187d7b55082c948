"""Routing follows the questions: connected in ``MessagingConfig.ready()`` to the Q&A
signals (``messaging.qa.signals``), which the Q&A services send inside their
transactions with the question row locked, so routing's writes commit or roll back
with the question's."""

import logging

from django.db import transaction

from messaging.models import Question
from messaging.routing.profiles import forget_tags
from messaging.routing.replies import routing_on_answer, routing_on_settled
from messaging.routing.waves import routing_start_on_commit

logger = logging.getLogger("messaging.routing.receivers")


def start_routing(sender, *, question, **kwargs) -> None:
    """A network question was asked: ask the network once it is committed."""
    routing_start_on_commit(question)


def refresh_expertise_on_commit(organization_id: int, user_id: int) -> None:
    """Recompute someone's expertise vector in the worker once the answer is durable."""

    def enqueue():
        from kombu.exceptions import OperationalError

        from messaging.routing.tasks import routing_refresh_expertise  # the tasks import this package

        try:
            routing_refresh_expertise.delay(organization_id, user_id)
        except OperationalError:  # the broker is down: the nightly refresh catches up
            logger.exception("could not enqueue the expertise refresh of %s", user_id)

    transaction.on_commit(enqueue)


def answer_ends_waves(sender, *, question, answer, **kwargs) -> None:
    """The author's routed request becomes answered or late; the first answer ends the
    waves; the author's expertise vector learns the question."""
    routing_on_answer(question, answer)
    refresh_expertise_on_commit(question.organization_id, answer.author_id)


def settled_cancels_requests(sender, *, question, **kwargs) -> None:
    """An accepted answer or a resolved question cancels the pending requests; the
    accepted answer's author's expertise vector learns it."""
    routing_on_settled(question)
    accepted = question.accepted_answer_id and question.accepted_answer
    if accepted:
        refresh_expertise_on_commit(question.organization_id, accepted.author_id)


def tags_changed(sender, *, instance, action, **kwargs) -> None:
    """A question's tags were set or changed: routing's memory of the latest tags is stale."""
    if action in ("post_add", "post_remove", "post_clear"):
        # from the question's side: its workspace; from a skill's side: every workspace
        forget_tags(instance.organization_id if isinstance(instance, Question) else None)


def connect() -> None:
    from django.db.models.signals import m2m_changed

    from messaging.qa.signals import answer_posted, question_asked, question_settled

    m2m_changed.connect(tags_changed, sender=Question.skills.through, dispatch_uid="messaging.routing.tags")

    question_asked.connect(start_routing, dispatch_uid="messaging.routing.start")
    answer_posted.connect(answer_ends_waves, dispatch_uid="messaging.routing.answer")
    question_settled.connect(settled_cancels_requests, dispatch_uid="messaging.routing.settled")
