"""The evidence source kinds of questions and answers, registered with the trust
app (``register()`` is called from ``MessagingConfig.ready()``; routing registers its
own in ``messaging.routing.trust_sources``).

``participants(source_id)`` answers "who shared this source?" so the trust app
refuses evidence between people who never met over it. Answers (accepted and
not accepted) are shared by the asker and the answer's author; a helpful vote
(source id = the vote) by the voter and the answer's author. A missing source
answers the empty set.
"""

from trust.sources import register_source


def _int_id(source_id) -> int | None:
    try:
        return int(str(source_id))
    except (TypeError, ValueError):
        return None


def answer_participants(source_id) -> set[int]:
    """The asker of the question and the author of the answer."""
    from messaging.models import Answer

    pk = _int_id(source_id)
    row = Answer.objects.filter(pk=pk).values_list("question__author_id", "author_id").first() if pk else None
    return set(row) if row else set()


def vote_participants(source_id) -> set[int]:
    """The voter and the author of the answer voted for."""
    from messaging.models import AnswerVote

    pk = _int_id(source_id)
    row = (
        AnswerVote.objects.filter(pk=pk).values_list("voter_id", "answer__author_id").first() if pk else None
    )
    return set(row) if row else set()


def register() -> None:
    from messaging.qa.services import SOURCE_ACCEPTED, SOURCE_HELPFUL, SOURCE_UNACCEPTED

    # the asker's judgement of one answer: a rating (1/k repeat-rater rule applies)
    register_source(SOURCE_ACCEPTED, participants=answer_participants, is_rating=True)
    # answered but never accepted once the question is resolved: an observed fact
    register_source(
        SOURCE_UNACCEPTED,
        participants=answer_participants,
        is_rating=False,
        summary="answers{skill_phrase} given to {total} resolved questions{window}",
        label="An answer that was not accepted",
    )
    register_source(SOURCE_HELPFUL, participants=vote_participants, is_rating=True)
