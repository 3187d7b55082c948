"""Before a question goes out: which skills it is about and whether someone solved it
before (the ask form's "Check" step and ``POST /api/questions/preview``). Reads only.

- skills: ``accounts.skill_inference.infer`` on the title and body (names and aliases,
  short ones too; meaning with the embedding model). The asker keeps or changes them.
- solved before: questions of the asker's workspace that the asker may read and that
  have answers, closest in meaning (cosine ≥ ``SIMILAR_AT_LEAST`` against the stored
  question vectors, the ``RECENT`` newest answered ones), with the people who answered
  and whether an answer was accepted; without the model, the full-text question
  search (``messaging.qa.selectors.questions_search``) on the title.
"""

from dataclasses import dataclass, field

import numpy as np
from django.db.models import Exists, OuterRef

from accounts import skill_inference
from core import embeddings
from core.errors import PermissionDenied, ValidationFailed
from messaging.models import Answer, Question, QuestionVector
from messaging.qa.selectors import organization_id_of, questions_search, questions_visible_to

SIMILAR_AT_LEAST = 0.5
RECENT = 5000
LIMIT = 5


@dataclass
class SolvedBefore:
    question: Question
    similarity: float | None  # None: found by words, not by meaning
    answerers: list[tuple[int, str, bool]] = field(default_factory=list)  # (id, name, accepted)


@dataclass
class AskPreview:
    skills: list[skill_inference.InferredSkill]
    solved: list[SolvedBefore]
    by_meaning: bool


def ask_preview(*, viewer, title: str, body: str = "") -> AskPreview:
    """What the asker sees before sending: inferred skills and similar answered questions."""
    organization_id = organization_id_of(viewer)
    if organization_id is None:
        raise PermissionDenied("Join a workspace before asking questions.")
    title = " ".join((title if isinstance(title, str) else "").split())
    body = body if isinstance(body, str) else ""
    if not title and not body.strip():
        raise ValidationFailed(
            "Nothing to check: write a title or details.",
            fields={"title": ["Give the question a short title."]},
        )
    text = f"{title}\n{body}"
    vector = embeddings.embed([text])[0] if embeddings.available() else None
    skills = skill_inference.infer(organization_id, text, vector=vector)
    if vector is not None:
        solved = _by_meaning(viewer, vector)
    else:
        solved = [SolvedBefore(question=q, similarity=None) for q in _by_words(viewer, title)]
    _add_answerers(solved)
    return AskPreview(skills=skills, solved=solved, by_meaning=vector is not None)


def _answered(viewer):
    return questions_visible_to(viewer).filter(Exists(Answer.objects.filter(question_id=OuterRef("pk"))))


def _by_meaning(viewer, vector: np.ndarray) -> list[SolvedBefore]:
    rows = list(
        QuestionVector.objects.filter(question__in=_answered(viewer))
        .order_by("-question_id")
        .values_list("question_id", "vector")[:RECENT]
    )
    if not rows:
        return []
    ids = [pk for pk, _ in rows]
    matrix = np.stack([embeddings.from_bytes(data) for _, data in rows])
    sims = matrix @ vector
    best = [i for i in np.argsort(-sims)[:LIMIT] if sims[i] >= SIMILAR_AT_LEAST]
    questions = Question.objects.in_bulk([ids[i] for i in best])
    return [SolvedBefore(question=questions[ids[i]], similarity=round(float(sims[i]), 3)) for i in best]


def _by_words(viewer, title: str) -> list[Question]:
    words = " ".join(skill_inference.words(title)[:12])
    if not words:
        return []
    return list(questions_search(viewer, words).filter(pk__in=_answered(viewer).values("pk"))[:LIMIT])


def _add_answerers(solved: list[SolvedBefore]) -> None:
    by_question = {item.question.pk: item for item in solved}
    for question_id, author_id, name, email, accepted in (
        Answer.objects.filter(question_id__in=by_question)
        .order_by("-accepted", "created_at")
        .values_list("question_id", "author_id", "author__full_name", "author__email", "accepted")
    ):
        by_question[question_id].answerers.append((author_id, name or email, accepted))
