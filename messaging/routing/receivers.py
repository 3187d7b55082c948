"""Routing follows the questions: connected in ``MessagingConfig.ready()`` to the Q&A
signals (``messaging.qa.signals``), which the Q&A services send inside their
transactions with the question row locked, so routing's writes commit or roll back
with the question's."""

from messaging.routing.replies import routing_on_answer, routing_on_settled
from messaging.routing.waves import routing_start_on_commit


def start_routing(sender, *, question, **kwargs) -> None:
    """A network question was asked: ask the network once it is committed."""
    routing_start_on_commit(question)


def answer_ends_waves(sender, *, question, answer, **kwargs) -> None:
    """The author's routed request becomes answered or late; the first answer ends the waves."""
    routing_on_answer(question, answer)


def settled_cancels_requests(sender, *, question, **kwargs) -> None:
    """An accepted answer or a resolved question cancels the pending requests."""
    routing_on_settled(question)


def connect() -> None:
    from messaging.qa.signals import answer_posted, question_asked, question_settled

    question_asked.connect(start_routing, dispatch_uid="messaging.routing.start")
    answer_posted.connect(answer_ends_waves, dispatch_uid="messaging.routing.answer")
    question_settled.connect(settled_cancels_requests, dispatch_uid="messaging.routing.settled")
