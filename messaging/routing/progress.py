"""The asker's live progress frame (``question.progress``), sent after commit.

Every routing write that changes what the asker sees calls ``progress_on_commit``
inside its transaction. Once the data is durable the progress is read
(``selectors.routing_progress``, so it shows the committed state) and sent as a
``chat.frame`` to every socket of the asker (``core.realtime``: the doorbell, never
the record; the page re-reads the partial)."""

from django.db import transaction

from core import realtime
from messaging.models import Question
from messaging.routing.selectors import routing_progress


def _send(question_id: int, author_id: int) -> None:
    current = Question.objects.filter(pk=question_id).first()
    if current is None:
        return
    frame = {"type": "question.progress", **routing_progress(current)}
    realtime.send_now(
        realtime.user_group(author_id), {"type": "chat.frame", "frame": frame, "skip_channel": None}
    )


def progress_on_commit(question) -> None:
    """After commit, tell the asker of ``question`` how its routing stands."""
    question_id, author_id = question.pk, question.author_id
    # robust: a failed doorbell must not fail the write that rang it
    transaction.on_commit(lambda: _send(question_id, author_id), robust=True)
