"""Expertise by meaning: question vectors, expertise vectors and the per-workspace
in-memory index routing reads (docs/messaging.md "Routing by meaning").

- ``question_vector(question)``: the stored embedding of a question's title and body,
  computed and stored on first use (routing start embeds the question it routes).
- ``expertise_refresh(organization_id, user_id)``: one person's expertise vector —
  their declared skills, headline and bio, blended with the vectors of the questions
  they answered well (accepted, voted helpful, or in time when routed) —
  recomputed from the rows, so it is idempotent; the worker runs it
  (``messaging.routing_refresh_expertise``) after an answer is posted, accepted or
  voted helpful, and the nightly sweep refreshes whoever has no vector yet.
- ``nearest(organization_id, vector, k)``: the people whose expertise is closest,
  from an in-memory matrix per workspace that loads only rows changed since it last
  looked (the index ``(organization, updated_at)``).
- ``track_records(vector, user_ids)``: per person, how many answered questions are
  close to this one, and how many of those answers were accepted or helpful.
- ``tags_of_similar(organization_id, vector)``: the tags of the workspace's earlier
  questions close to this one (routing infers them for an untagged question).

Without the embedding model (``core.embeddings.available()`` false) every function
returns nothing and routing falls back to aliases and full text.
"""

import threading
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.db.models import Count, DateTimeField, Exists, OuterRef, Q, Value

from accounts.models import Expertise, Membership, Profile
from core import clock, embeddings
from core.lookups import AnyOf
from messaging.models import Answer, ExpertiseVector, Question, QuestionVector, RoutingAttempt

PROFILE_WEIGHT = 1.0  # the declared profile counts as much as ...
ANSWER_WEIGHT = 0.5  # ... two answers given well
SIMILAR = 0.6  # cosine at which a past question is "like this one"
MAX_ANSWERS = 50  # the most recent answers given well that shape the vector
TAGGED_EXAMPLES = 2000  # the latest tagged questions that teach what a skill means


def question_text(title: str, body: str) -> str:
    return f"{title}\n{body}"


def question_vector(question: Question) -> np.ndarray | None:
    """The question's vector: stored, or embedded and stored now; None without the model.
    Routing calls it after its other reads, on its own thread: on a thread of its own the
    model held the interpreter lock between its many small array operations, so the
    ranking's queries waited for it and a ranking took more time and more CPU, not less
    (median 80 ms against 126, 59 against 70, at load 4 on 2 cores)."""
    row = QuestionVector.objects.filter(question_id=question.pk).values_list("vector", flat=True).first()
    if row is not None:
        return embeddings.from_bytes(row)
    if not embeddings.available():
        return None
    vector = embeddings.embed([question_text(question.title, question.body)])[0]
    _store_question_vector(question, vector)
    return vector


def _store_question_vector(question: Question, vector: np.ndarray) -> None:
    # one statement; a concurrent writer stored the same vector (same text, same model)
    QuestionVector.objects.bulk_create(
        [
            QuestionVector(
                question_id=question.pk,
                organization_id=question.organization_id,
                vector=embeddings.to_bytes(vector),
            )
        ],
        ignore_conflicts=True,
    )
    _question_cache[question.pk] = vector


def profile_text(user_id: int) -> str:
    """What a person says they know: skills with levels, headline, bio (start)."""
    profile = Profile.objects.filter(user_id=user_id).values("headline", "bio").first() or {}
    skills = [
        f"{name} (level {level}{': ' + description[:120] if description else ''})"
        for name, level, description in Expertise.objects.filter(user_id=user_id)
        .order_by("-level", "skill__name")
        .values_list("skill__name", "level", "skill__description")
    ]
    parts = []
    if skills:
        parts.append("Skills: " + ", ".join(skills) + ".")
    for key in ("headline", "bio"):
        if profile.get(key):
            parts.append(profile[key][:600])
    return "\n".join(parts)


def _answered_well(organization_id: int, user_id: int) -> list[int]:
    """Question ids this person answered well: accepted, voted helpful, or given in time
    as a routed answer."""
    on_time = RoutingAttempt.objects.filter(
        candidate_id=user_id, outcome=RoutingAttempt.Outcome.ANSWERED
    ).values("answer_id")
    return list(
        Answer.objects.filter(author_id=user_id, question__organization_id=organization_id)
        .filter(Q(accepted=True) | Q(helpful_count__gt=0) | Q(pk__in=on_time))
        .order_by("-created_at")
        .values_list("question_id", flat=True)[:MAX_ANSWERS]
    )


def expertise_refresh(organization_id: int, user_id: int) -> ExpertiseVector | None:
    """Recompute one person's expertise vector (idempotent); None without the model or
    when there is nothing to embed."""
    if not embeddings.available():
        return None
    text = profile_text(user_id)
    question_ids = _answered_well(organization_id, user_id)
    vectors = _question_vectors(question_ids)
    for question in Question.objects.filter(pk__in=[pk for pk in question_ids if pk not in vectors]):
        vectors[question.pk] = question_vector(question)  # answered before routing embedded it
    parts, weights = [], []
    if text:
        parts.append(embeddings.embed([text])[0])
        weights.append(PROFILE_WEIGHT)
    for question_id in question_ids:
        if question_id in vectors:
            parts.append(vectors[question_id])
            weights.append(ANSWER_WEIGHT)
    if not parts:
        ExpertiseVector.objects.filter(organization_id=organization_id, user_id=user_id).delete()
        if (index := _indexes.get(organization_id)) is not None:
            index.counted_at = None  # the next ranking counts the rows: this one is gone
        return None
    blended = embeddings.normalise(np.average(np.stack(parts), axis=0, weights=weights)[None, :])[0]
    row, _ = ExpertiseVector.objects.update_or_create(
        organization_id=organization_id,
        user_id=user_id,
        defaults={
            "vector": embeddings.to_bytes(blended),
            "answered_well": len(question_ids),
            "updated_at": clock.now(),
        },
    )
    return row


def people_without_vector(*, limit: int) -> list[tuple[int, int]]:
    """(workspace id, user id) of active members without an expertise vector there;
    empty without the model (the sweep embeds them a few at a time)."""
    if not embeddings.available():
        return []
    have = ExpertiseVector.objects.filter(
        organization_id=OuterRef("organization_id"), user_id=OuterRef("user_id")
    )
    return list(
        Membership.objects.filter(is_active=True, user__is_active=True)
        .exclude(Exists(have))
        .order_by("pk")
        .values_list("organization_id", "user_id")[:limit]
    )


# --- in-memory reads ------------------------------------------------------------------------

_question_cache: dict[int, np.ndarray] = {}  # question vectors never change once stored


def _question_vectors(question_ids) -> dict[int, np.ndarray]:
    wanted = [pk for pk in question_ids if pk not in _question_cache]
    if wanted:
        for pk, data in QuestionVector.objects.filter(AnyOf("question_id", wanted)).values_list(
            "question_id", "vector"
        ):
            vector = embeddings.from_bytes(data)
            if vector is not None:
                _question_cache[pk] = vector
    return {pk: _question_cache[pk] for pk in question_ids if pk in _question_cache}


@dataclass
class _Index:
    user_ids: list[int]
    rows: dict[int, int]  # user id -> row
    matrix: np.ndarray
    versions: dict[int, object]  # user id -> updated_at of the row in memory
    seen_until: object = None
    counted_at: object = None  # when the rows were last counted


_indexes: dict[int, _Index] = {}
_index_lock = threading.Lock()
# rows stamped this recently are read again (only their stamps, unless changed): a
# transaction that stamped its row before our last read may commit after it
SLACK = timedelta(seconds=5)
# rows are counted (deleted ones noticed: a member left, a workspace was dropped) at most
# this often: counting a large workspace costs more than the rest of the refresh, and a
# departed member's stale row is harmless meanwhile (the pool's hard filters drop them)
RECOUNT = timedelta(seconds=60)


def _index(organization_id: int) -> _Index:
    """The workspace's expertise matrix, brought up to date with one indexed query
    (``(organization, updated_at)``): the rows changed lately and, every ``RECOUNT``,
    the number of rows (fewer than memory and the new rows make: start over)."""
    index = _indexes.get(organization_id)
    now = clock.now()
    changed = ExpertiseVector.objects.filter(organization_id=organization_id).order_by()
    if index is not None and index.seen_until is not None:
        changed = changed.filter(Q(updated_at__gt=index.seen_until) | Q(updated_at__gte=now - SLACK))
    changed = changed.values_list("user_id", "updated_at")
    recount = index is None or index.counted_at is None or not (now - RECOUNT < index.counted_at <= now)
    if recount:
        total = (
            ExpertiseVector.objects.filter(organization_id=organization_id)
            .order_by()
            .values("organization_id")
            .annotate(n=Count("id"), none=Value(None, output_field=DateTimeField()))
            .values_list("n", "none")
        )
        changed = changed.union(total, all=True)
    stamps, count = [], 0
    for user_id, stamp in changed:
        if stamp is None:  # the count's row (none when the workspace has no vectors)
            count = user_id
        else:
            stamps.append((user_id, stamp))
    if (
        recount
        and index is not None
        and count != len(index.user_ids) + len({pk for pk, _ in stamps} - index.rows.keys())
    ):
        index = None  # rows were deleted: start over
        _indexes.pop(organization_id, None)
        every = ExpertiseVector.objects.filter(organization_id=organization_id)
        stamps = list(every.values_list("user_id", "updated_at"))
    if index is None:
        index = _Index(
            user_ids=[], rows={}, matrix=np.zeros((0, embeddings.DIMENSIONS), dtype=np.float32), versions={}
        )
    if recount:
        index.counted_at = now
    fresh_ids = [user_id for user_id, stamp in stamps if index.versions.get(user_id) != stamp]
    if not fresh_ids and organization_id in _indexes:
        return index
    fresh = list(
        ExpertiseVector.objects.filter(
            AnyOf("user_id", fresh_ids), organization_id=organization_id
        ).values_list("user_id", "vector", "updated_at")
    )
    with _index_lock:
        additions = []
        for user_id, data, updated_at in fresh:
            vector = embeddings.from_bytes(data)
            if vector is None:
                continue
            index.versions[user_id] = updated_at
            if user_id in index.rows:
                index.matrix[index.rows[user_id]] = vector
            else:
                index.rows[user_id] = len(index.user_ids) + len(additions)
                additions.append((user_id, vector))
            if index.seen_until is None or updated_at > index.seen_until:
                index.seen_until = updated_at
        if additions:
            index.user_ids.extend(user_id for user_id, _ in additions)
            index.matrix = np.concatenate([index.matrix, np.stack([v for _, v in additions])], axis=0)
        _indexes[organization_id] = index
    return index


def refresh(organization_id: int) -> None:
    """Bring the workspace's expertise index up to date (one query), for ``fresh=False`` reads."""
    _index(organization_id)


def nearest(
    organization_id: int, vector: np.ndarray | None, k: int, *, at_least: float, fresh: bool = True
) -> dict[int, float]:
    """Up to ``k`` people whose expertise vector is closest to ``vector`` (cosine ≥
    ``at_least``), user id -> cosine; empty without a vector. ``fresh=False`` reads the
    index as the last ``refresh`` left it (no query)."""
    if vector is None:
        return {}
    index = _indexes.get(organization_id) if not fresh else None
    index = index or _index(organization_id)
    if not index.user_ids:
        return {}
    sims = index.matrix @ vector
    top = np.argpartition(-sims, k)[:k] if len(sims) > k else np.arange(len(sims))
    return {index.user_ids[i]: float(sims[i]) for i in top if sims[i] >= at_least}


def similarity(
    organization_id: int, vector: np.ndarray | None, user_ids, *, fresh: bool = True
) -> dict[int, float]:
    """Cosine between ``vector`` and these people's expertise vectors (those who have one);
    ``fresh=False`` reads the index as the last ``nearest`` left it (no query)."""
    if vector is None:
        return {}
    index = _indexes.get(organization_id) if not fresh else None
    index = index or _index(organization_id)
    rows = [(user_id, index.rows[user_id]) for user_id in user_ids if user_id in index.rows]
    if not rows:
        return {}
    sims = index.matrix[[row for _, row in rows]] @ vector
    return {user_id: float(sim) for (user_id, _), sim in zip(rows, sims.tolist(), strict=True)}


@dataclass(frozen=True)
class TrackRecord:
    similar: int = 0  # answers to questions like this one
    good: int = 0  # ... of which accepted or voted helpful


def track_records(vector: np.ndarray | None, user_ids, *, exclude_question: int | None = None) -> dict:
    """User id -> ``TrackRecord`` over their answers to questions with cosine ≥
    ``SIMILAR`` to ``vector``. Two queries (answers, then any question vectors not yet
    in memory)."""
    if vector is None or not user_ids:
        return {}
    answers = list(
        Answer.objects.filter(AnyOf("author_id", user_ids))
        .exclude(question_id=exclude_question)
        .values_list("author_id", "question_id", "accepted", "helpful_count")
    )
    vectors = _question_vectors({question_id for _, question_id, _, _ in answers})
    if not vectors:
        return {}
    ids = list(vectors)
    sims = dict(zip(ids, (np.stack([vectors[i] for i in ids]) @ vector).tolist(), strict=True))
    records: dict[int, list[int]] = {}
    for author_id, question_id, accepted, helpful in answers:
        if sims.get(question_id, 0.0) >= SIMILAR:
            record = records.setdefault(author_id, [0, 0])
            record[0] += 1
            record[1] += 1 if accepted or helpful else 0
    return {user_id: TrackRecord(similar=s, good=g) for user_id, (s, g) in records.items()}


def tags_of_similar(
    organization_id: int, vector: np.ndarray | None, *, exclude_question: int | None = None
) -> dict[int, float]:
    """Skill id -> the highest cosine (≥ ``SIMILAR``) between ``vector`` and the workspace's
    latest ``TAGGED_EXAMPLES`` tagged questions with that tag: the skills the askers of
    questions like this one chose. The tags and their questions' vectors are kept in
    memory (``_examples``); one product over them per call."""
    if vector is None:
        return {}
    examples = _examples(organization_id)
    if not len(examples.question_ids):
        return {}
    sims = examples.matrix @ vector
    per_row = np.full(len(examples.rows), -1.0, dtype=np.float32)
    with_vector = examples.rows >= 0
    per_row[with_vector] = sims[examples.rows[with_vector]]
    keep = examples.question_ids != (exclude_question or 0)
    keep &= np.cumsum(keep) <= TAGGED_EXAMPLES
    found: dict[int, float] = {}
    for i in np.flatnonzero(keep & (per_row >= SIMILAR)).tolist():
        skill_id, sim = int(examples.skill_ids[i]), float(per_row[i])
        if sim > found.get(skill_id, 0.0):
            found[skill_id] = sim
    return found


TAGS_FOR = timedelta(seconds=60)  # of core.clock time: a simulated night passes it too


@dataclass
class _TaggedExamples:
    read_at: object
    question_ids: np.ndarray  # one entry per (question, tag) row, latest question first
    skill_ids: np.ndarray
    rows: np.ndarray  # the row of ``matrix`` holding the question's vector, -1 without one
    matrix: np.ndarray
    lacking: set[int]  # questions without a vector yet


_tagged: dict[int, _TaggedExamples] = {}


def _examples(organization_id: int) -> _TaggedExamples:
    """The workspace's latest tags and their questions' vectors, read at most once a
    ``TAGS_FOR`` per process and again after a question's tags changed here
    (``forget_tags``) or a question that lacked a vector has one (one query, only while
    some lack one)."""
    moment = clock.now()
    kept = _tagged.get(organization_id)
    fresh = kept is not None and clock.within(kept.read_at, TAGS_FOR, at=moment)
    if fresh and (not kept.lacking or not _question_vectors(kept.lacking)):
        return kept
    tags = list(
        Question.skills.through.objects.filter(question__organization_id=organization_id)
        .order_by("-question_id")
        .values_list("question_id", "skill_id")[: TAGGED_EXAMPLES + 1]  # + the one asked now
    )
    question_ids = sorted({pk for pk, _ in tags})
    vectors = _question_vectors(question_ids)
    with_vector = [pk for pk in question_ids if pk in vectors]
    row_of = {pk: i for i, pk in enumerate(with_vector)}
    examples = _TaggedExamples(
        read_at=moment,
        question_ids=np.array([pk for pk, _ in tags], dtype=np.int64),
        skill_ids=np.array([skill_id for _, skill_id in tags], dtype=np.int64),
        rows=np.array([row_of.get(pk, -1) for pk, _ in tags], dtype=np.int64),
        matrix=(
            np.stack([vectors[pk] for pk in with_vector])
            if with_vector
            else np.zeros((0, embeddings.DIMENSIONS), dtype=np.float32)
        ),
        lacking=set(question_ids) - set(with_vector),
    )
    _tagged[organization_id] = examples
    return examples


def forget_tags(organization_id: int | None = None) -> None:
    """A question's tags changed: the next ranking reads the tags again (this process; the
    others within ``TAGS_FOR``)."""
    if organization_id is None:
        _tagged.clear()
    else:
        _tagged.pop(organization_id, None)


def forget() -> None:
    """Drop the in-memory indexes (tests and benchmarks that recreate workspaces)."""
    with _index_lock:
        _indexes.clear()
        _question_cache.clear()
        _tagged.clear()
