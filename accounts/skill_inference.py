"""Which of a workspace's skills a piece of text is about (a question, a mentoring need).

Two sources, combined per skill (confidence in [0, 1]):

- **words**: the skill's name or one of its aliases written in the text, as a word or a
  phrase of up to three words, case-insensitive. Short names count ("go", "tf", "ts",
  "k8s", "c#"): nothing is dropped for its length; only an alias that is also an
  everyday English word (``COMMON_WORDS``: "go", "do", "it") must be written as the
  alias is ("Go", not "go"). A name or alias found: ``NAMED`` (short one:
  ``NAMED_SHORT``);
- **meaning** (when the embedding model is installed, ``core.embeddings``): the cosine
  between the text and each skill's description ("name (aliases). description"),
  rescaled so ``MEANING_FLOOR`` → 0 and ``MEANING_FULL`` → 1; the closest skill counts
  as inferred when it stands clearly above the runner-up (``BEST_MARGIN``).

A skill is inferred when its confidence reaches ``INFER_AT``. Mentor suggestions
(``mentoring.engagements.matching``) and routing (``messaging.routing``) both read this
module; the asker sees the result on the ask form and can correct it.
"""

import re
import threading
from dataclasses import dataclass

import numpy as np

from accounts.models import Skill
from core import embeddings

WORD = re.compile(r"[a-z0-9][a-z0-9+#]*(?:[.\-/][a-z0-9+#]+)*")
MAX_PHRASE = 3
NAMED = 1.0
NAMED_SHORT = 0.9
MEANING_FLOOR = 0.15
MEANING_FULL = 0.40
INFER_AT = 0.5
# the closest skill by meaning is inferred even below INFER_AT when it stands out:
# at least BEST_AT_LEAST and BEST_MARGIN above the runner-up
BEST_AT_LEAST = 0.18
BEST_MARGIN = 0.05
MAX_INFERRED = 3
# short aliases that are also everyday English: they count only written as the alias is
COMMON_WORDS = frozenset({"go", "r", "c", "d", "it", "as", "do", "pr", "is", "on", "at"})


@dataclass(frozen=True)
class InferredSkill:
    skill_id: int
    name: str
    confidence: float
    reason: str  # plain words: why ("names “psql”", "close in meaning")


def words(text: str) -> list[str]:
    """Lower-case words of ``text``, short ones kept ("go", "k8s", "c#", "node.js")."""
    return WORD.findall((text or "").lower())


def phrases(text: str) -> set[str]:
    """Every word and run of up to ``MAX_PHRASE`` words of ``text``."""
    tokens = words(text)
    found = set()
    for size in range(1, MAX_PHRASE + 1):
        for start in range(len(tokens) - size + 1):
            found.add(" ".join(tokens[start : start + size]))
    return found


def _normal(name: str) -> str:
    return " ".join(words(name))


@dataclass
class Taxonomy:
    """A workspace's skills with their aliases, and their meaning vectors (or None)."""

    skills: dict[int, str]
    lexicon: dict[str, set[int]]  # normalised name or alias -> skill ids
    written: dict[str, set[str]]  # normalised -> forms as written (for "Go" vs "go")
    skill_ids: list[int]
    vectors: np.ndarray | None  # one row per skill_ids entry


_cache: dict[int, tuple[tuple, Taxonomy]] = {}
_cache_lock = threading.Lock()


def taxonomy(organization_id: int) -> Taxonomy:
    """The workspace's taxonomy (one query: skills joined with their aliases); skill
    vectors are embedded once per process and again only when a skill's name, aliases
    or description change."""
    rows: list[tuple[int, str, str]] = []
    aliases: dict[int, list[str]] = {}
    for pk, name, description, alias in (
        Skill.objects.filter(organization_id=organization_id)
        .order_by("pk")
        .values_list("pk", "name", "description", "aliases__name")
    ):
        if not rows or rows[-1][0] != pk:
            rows.append((pk, name, description))
        if alias is not None:
            aliases.setdefault(pk, []).append(alias)
    key = tuple((pk, name, description, tuple(sorted(aliases.get(pk, ())))) for pk, name, description in rows)
    cached = _cache.get(organization_id)
    if cached is not None and cached[0] == key:
        return cached[1]
    lexicon: dict[str, set[int]] = {}
    written: dict[str, set[str]] = {}
    for pk, name, _description in rows:
        for form in (name, *aliases.get(pk, ())):
            normal = _normal(form)
            if normal:
                lexicon.setdefault(normal, set()).add(pk)
                written.setdefault(normal, set()).add(form.strip())
    vectors = None
    if rows and embeddings.available():
        vectors = embeddings.embed(
            [describe(name, aliases.get(pk, ()), description) for pk, name, description in rows]
        )
    result = Taxonomy(
        skills={pk: name for pk, name, _ in rows},
        lexicon=lexicon,
        written=written,
        skill_ids=[pk for pk, _, _ in rows],
        vectors=vectors,
    )
    with _cache_lock:
        _cache[organization_id] = (key, result)
    return result


def describe(name: str, aliases, description: str = "") -> str:
    """The text a skill's meaning vector is made of."""
    text = name
    if aliases:
        text += " (" + ", ".join(sorted(aliases)) + ")"
    return f"{text}. {description}".strip()


def named_skill_ids(text: str, tax: Taxonomy) -> dict[int, str]:
    """Skill id -> the name or alias written in ``text`` (only words; no model)."""
    found: dict[int, str] = {}
    raw = text or ""
    for phrase in phrases(raw):
        for skill_id in tax.lexicon.get(phrase, ()):
            if phrase in COMMON_WORDS and not any(
                re.search(rf"(?<![\w]){re.escape(form)}(?![\w])", raw)
                for form in tax.written[phrase]
                if form != phrase
            ):
                continue  # "go" the verb; "Go" as written in the alias still counts
            found.setdefault(skill_id, phrase)
    return found


def infer(
    organization_id: int, text: str, *, vector: np.ndarray | None = None, limit: int = MAX_INFERRED
) -> list[InferredSkill]:
    """The skills ``text`` is about, most confident first (at most ``limit``).
    ``vector``: the text's embedding when the caller already has it."""
    tax = taxonomy(organization_id)
    scores = scored(tax, text, vector=vector)
    picked = [s for s in scores if s.confidence >= INFER_AT]
    return picked[:limit]


def scored(tax: Taxonomy, text: str, *, vector: np.ndarray | None = None) -> list[InferredSkill]:
    """Every skill with a confidence above 0, most confident first."""
    confidence: dict[int, float] = {}
    reasons: dict[int, str] = {}
    for skill_id, phrase in named_skill_ids(text, tax).items():
        confidence[skill_id] = NAMED_SHORT if len(phrase) < 3 else NAMED
        reasons[skill_id] = f"names “{phrase}”"
    if tax.vectors is not None and (text or "").strip():
        if vector is None:
            vector = embeddings.embed([text])[0]
        sims = (tax.vectors @ vector).tolist()
        ranked = sorted(range(len(sims)), key=lambda i: -sims[i])
        for position, i in enumerate(ranked):
            sim = sims[i]
            meaning = min(max((sim - MEANING_FLOOR) / (MEANING_FULL - MEANING_FLOOR), 0.0), 1.0)
            runner_up = sims[ranked[1]] if len(ranked) > 1 else -1.0
            if position == 0 and sim >= BEST_AT_LEAST and sim - runner_up >= BEST_MARGIN:
                meaning = max(meaning, INFER_AT)  # clearly the closest skill
            skill_id = tax.skill_ids[i]
            if meaning > confidence.get(skill_id, 0.0):
                confidence[skill_id] = meaning
                reasons[skill_id] = "close in meaning"
    result = [
        InferredSkill(skill_id=pk, name=tax.skills[pk], confidence=round(value, 3), reason=reasons[pk])
        for pk, value in confidence.items()
        if value > 0
    ]
    result.sort(key=lambda s: (-s.confidence, s.name))
    return result


def neighbours(tax: Taxonomy, skill_ids, *, at_least: float = 0.45, limit: int = 3) -> dict[int, float]:
    """Skills of the taxonomy close in meaning to ``skill_ids`` (not those), with their
    cosine; empty without the model. Escalation widens a question to them."""
    if tax.vectors is None or not skill_ids:
        return {}
    index = {pk: i for i, pk in enumerate(tax.skill_ids)}
    rows = [index[pk] for pk in skill_ids if pk in index]
    if not rows:
        return {}
    sims = (tax.vectors[rows] @ tax.vectors.T).max(axis=0)
    found = {
        pk: float(sim)
        for pk, sim in zip(tax.skill_ids, sims.tolist(), strict=True)
        if pk not in skill_ids and sim >= at_least
    }
    return dict(sorted(found.items(), key=lambda kv: -kv[1])[:limit])
