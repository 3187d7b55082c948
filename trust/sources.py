"""The registry of evidence source kinds.

Evidence may only pass between people who shared something: an engagement, a
question, a conversation. The trust app does not know those models; each owning
app registers its source kinds here (in its ``AppConfig.ready()``) with a
``participants`` callable: given a ``source_id`` it returns the set of user ids
who shared that source (an empty set when the source does not exist).
``record_evidence`` rejects an unknown kind and any actor or subject outside
that set.

Registration is static configuration (the same in every process), not shared
mutable state.
"""

from collections.abc import Callable
from dataclasses import dataclass

from core.errors import ValidationFailed
from trust import params

Participants = Callable[[str], set[int]]


@dataclass(frozen=True)
class SourceKind:
    kind: str
    participants: Participants
    # Plain-words summary for explanations. Placeholders: {good}, {total},
    # {skill_phrase} (" in Python" or ""), {window} ("in the last 90 days").
    summary: str
    # A single item, for the "my evidence" list (no names: raters stay private).
    label: str
    # Judgements (a person rating or confirming something about a person) are
    # calibrated for the judge's leniency. Every piece with an actor, judgement or
    # not, goes through the counterpart defences (trust.services.evidence).
    is_rating: bool = True


_REGISTRY: dict[str, SourceKind] = {}

# Phrasing for the kinds the engagement and messaging apps are expected to
# register, so their explanations read well even with the default arguments.
DEFAULT_PHRASES: dict[str, tuple[str, str]] = {
    "engagement.feedback": (
        "positive feedback in {good} of {total} engagements{window}",
        "Engagement feedback",
    ),
    "commitment": ("kept {good} of {total} commitments{window}", "A commitment"),
    "answer.accepted": ("answers{skill_phrase} accepted {good} of {total} times{window}", "An answer"),
    "answer.helpful": (
        "answers{skill_phrase} marked helpful {good} of {total} times{window}",
        "A helpful vote",
    ),
    "invitation": ("replied in time to {good} of {total} invitations{window}", "An invitation"),
    "routing_attempt": ("replied in time to {good} of {total} routed questions{window}", "A routed question"),
    "message.reply": ("replied in time to {good} of {total} messages{window}", "A message needing a reply"),
    "endorsement": ("endorsed{skill_phrase} by {good} of {total} colleagues{window}", "An endorsement"),
    params.VOUCH_SOURCE_KIND: ("vouched for{skill_phrase} by a talent manager", "A talent manager's vouch"),
}


def register_source(
    kind: str,
    *,
    participants: Participants,
    summary: str | None = None,
    label: str | None = None,
    is_rating: bool = True,
) -> SourceKind:
    """Register (or re-register, e.g. on autoreload) a source kind."""
    if not kind or len(kind) > 60:
        raise ValueError("A source kind is a non-empty string of at most 60 characters.")
    if kind == "void":
        raise ValueError('"void" is reserved for compensating records.')
    default_summary, default_label = DEFAULT_PHRASES.get(kind, (None, None))
    source = SourceKind(
        kind=kind,
        participants=participants,
        summary=summary or default_summary or f"{{good}} of {{total}} {kind} items were positive{{window}}",
        label=label or default_label or kind.replace(".", " ").replace("_", " ").capitalize(),
        is_rating=is_rating,
    )
    _REGISTRY[kind] = source
    return source


def unregister_source(kind: str) -> None:
    """For tests and simulations that register temporary kinds."""
    _REGISTRY.pop(kind, None)


def get_source(kind: str) -> SourceKind:
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise ValidationFailed(
            f'Unknown evidence source "{kind}".',
            fields={
                "source_kind": [
                    f'"{kind}" is not a registered source kind; register it with '
                    "trust.sources.register_source first."
                ]
            },
        ) from None


def is_registered(kind: str) -> bool:
    return kind in _REGISTRY


def describe(kind: str) -> tuple[str, str]:
    """(summary template, item label) for a kind, registered or not (old ledger rows)."""
    source = _REGISTRY.get(kind)
    if source:
        return source.summary, source.label
    default_summary, default_label = DEFAULT_PHRASES.get(kind, (None, None))
    return (
        default_summary or f"{{good}} of {{total}} {kind} items were positive{{window}}",
        default_label or kind.replace(".", " ").replace("_", " ").capitalize(),
    )


def is_rating_kind(kind: str) -> bool:
    source = _REGISTRY.get(kind)
    return source.is_rating if source else kind != params.VOUCH_SOURCE_KIND


def rating_kinds() -> list[str]:
    return [kind for kind, source in _REGISTRY.items() if source.is_rating]
