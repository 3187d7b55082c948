"""Recording evidence: the ledger's one way in, with validation and the anti-gaming rules.

``record_evidence`` is the public contract other apps call (through their services,
never views). The anti-gaming rules adjust a rating's effective weight when it is
appended: repeat ratings from the same person (1/k), reciprocal praise (and the earlier
praise it answers is re-recorded discounted), and praise inside a closed circle of
mutual praise. The numbers are in ``trust.params``.
"""

import math
from datetime import datetime, timedelta
from numbers import Real

from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.models import Membership, Skill
from core import clock
from core.errors import Conflict, ValidationFailed
from trust import params, sources
from trust.models import TrustEvent
from trust.services.recompute import refresh_keys
from trust.services.scheduling import lock_subjects, schedule_recompute
from trust.services.voids import append_void

_FUTURE_TOLERANCE = timedelta(hours=1)


# --- validation helpers --------------------------------------------------------------


def _as_unit_float(value, field: str, errors: dict) -> float | None:
    if isinstance(value, bool) or not isinstance(value, Real):
        errors[field] = [f"Give {field} as a number between 0 and 1."]
        return None
    number = float(value)
    if not math.isfinite(number) or number < 0.0 or number > 1.0:
        errors[field] = [f"{field.capitalize()} must be between 0 and 1 (got {value})."]
        return None
    # 12 decimals is far finer than any source's scale; it also turns subnormal values
    # (5e-324) into 0, which PostgreSQL's float arithmetic would refuse as an underflow.
    return round(number, 12)


def _as_weight(value, errors: dict) -> float | None:
    if isinstance(value, bool) or not isinstance(value, Real):
        errors["weight"] = ["Give the weight as a positive number."]
        return None
    number = float(value)
    if not math.isfinite(number) or number <= 0.0:
        errors["weight"] = [f"The weight must be greater than 0 (got {value})."]
        return None
    if number > params.MAX_WEIGHT:
        errors["weight"] = [f"The weight may be at most {params.MAX_WEIGHT:g} (got {value})."]
        return None
    return number


def _same_fact(event: TrustEvent, *, actor_id, outcome: float) -> bool:
    return event.actor_id == actor_id and abs(event.outcome - outcome) < 1e-9


# --- the public contract -------------------------------------------------------------


def record_evidence(
    *,
    subject,
    actor,
    dimension: str,
    outcome: float,
    source_kind: str,
    source_id,
    skill: Skill | None = None,
    weight: float = 1.0,
    occurred_at: datetime | None = None,
) -> TrustEvent:
    """Append one piece of evidence about ``subject`` and schedule their recompute.

    Callers: the services of the engagement and messaging apps (never views).
    ``actor`` is the person whose judgement this is, or None for an observed fact
    (a missed deadline). ``source_kind`` must be registered in ``trust.sources``
    and both people must be among that source's participants.

    Idempotent: the same (source_kind, source_id, subject, dimension, skill)
    with the same actor and outcome returns the existing event (even if it was
    voided since — replay never resurrects a voided fact); a different outcome
    for the same key raises Conflict. Anti-gaming (repeat rater 1/k, reciprocal
    praise) adjusts the effective weight; see trust.params. Locks the subject
    (and the actor, as a subject of reciprocal discounts) for the transaction.
    """
    errors: dict[str, list[str]] = {}
    if dimension not in params.DIMENSIONS:
        errors["dimension"] = [f'Unknown dimension "{dimension}": use one of {", ".join(params.DIMENSIONS)}.']
    outcome_value = _as_unit_float(outcome, "outcome", errors)
    weight_value = _as_weight(weight, errors)
    source_id = "" if source_id is None else str(source_id).strip()
    if not source_id or len(source_id) > 64:
        errors["source_id"] = ["Give the id of the source (1–64 characters)."]
    if not isinstance(source_kind, str) or not source_kind:
        errors["source_kind"] = ["Give the kind of the source, e.g. engagement.feedback."]
    if dimension == params.COMPETENCE and skill is None:
        errors["skill"] = ["Competence evidence needs the skill it is about."]
    elif dimension in params.DIMENSIONS and dimension != params.COMPETENCE and skill is not None:
        errors["skill"] = [f"{dimension.capitalize()} evidence is not about a skill: leave skill empty."]
    moment = occurred_at or clock.now()
    if occurred_at is not None:
        if not isinstance(occurred_at, datetime) or occurred_at.tzinfo is None:
            errors["occurred_at"] = ["Give a timezone-aware date and time."]
        elif occurred_at > clock.now() + _FUTURE_TOLERANCE:
            errors["occurred_at"] = ["Evidence cannot be about the future."]
    if subject is None or getattr(subject, "pk", None) is None:
        errors["subject"] = ["Say whom the evidence is about."]
    if errors:
        raise ValidationFailed("The evidence is invalid: " + ", ".join(sorted(errors)) + ".", fields=errors)

    source = sources.get_source(source_kind)
    # one query for both people's active workspaces (record_evidence runs for every fact)
    workspaces = dict(
        Membership.objects.filter(
            user_id__in=[subject.pk] + ([actor.pk] if actor is not None else []), is_active=True
        ).values_list("user_id", "organization_id")
    )
    organization_id = workspaces.get(subject.pk)
    if organization_id is None:
        raise ValidationFailed(
            "The subject is not an active member of a workspace.",
            fields={"subject": ["Evidence can only be recorded about active members."]},
        )
    if actor is not None:
        if actor.pk == subject.pk:
            raise ValidationFailed(
                "Nobody can produce evidence about themselves.",
                fields={"actor": ["The actor and the subject are the same person."]},
                code="self_evidence",
            )
        if workspaces.get(actor.pk) != organization_id:
            raise ValidationFailed(
                "The actor and the subject are not in the same workspace.",
                fields={
                    "actor": ["Evidence can only come from an active member of the subject's workspace."]
                },
            )
    if skill is not None and skill.organization_id != organization_id:
        raise ValidationFailed(
            "The skill belongs to another workspace.",
            fields={"skill": ["Use a skill from the subject's workspace."]},
        )
    participants = set(source.participants(source_id) or ())
    missing = [
        who
        for who, user in (("subject", subject), ("actor", actor))
        if user is not None and user.pk not in participants
    ]
    if missing:
        raise ValidationFailed(
            "These people never shared this source: evidence needs a shared engagement, "
            "question or conversation.",
            fields={who: [f"Not a participant of {source_kind} {source_id}."] for who in missing},
            code="no_shared_context",
        )

    actor_id = actor.pk if actor is not None else None
    key = {
        "source_kind": source_kind,
        "source_id": source_id,
        "subject_id": subject.pk,
        "dimension": dimension,
        "skill_key": skill.pk if skill is not None else 0,
    }
    with transaction.atomic():
        lock_subjects(subject.pk, actor_id)
        existing = TrustEvent.objects.filter(**key).order_by("-revision").first()
        if existing is not None:
            if _same_fact(existing, actor_id=actor_id, outcome=outcome_value):
                return existing
            what = "Feedback" if "feedback" in source_kind else "Evidence"
            raise Conflict(
                f"{what} already recorded for this {source_kind} and person; it cannot be changed.",
                fields={"source_id": [f"{what} for {source_kind} {source_id} was already recorded."]},
                code="already_recorded",
            )

        effective = weight_value
        notes = []
        discounted_pairs: list[TrustEvent] = []
        if actor_id is not None and source.is_rating:
            k = 1 + _earlier_ratings(actor_id=actor_id, subject_id=subject.pk, moment=moment, key=key)
            if k > 1:
                effective /= k
                notes.append(f"rating {k} from the same person within 90 days: ×1/{k}")
            if outcome_value >= params.PRAISE_THRESHOLD:
                reverse = _reciprocal_praise(
                    actor_id=actor_id, subject_id=subject.pk, dimension=dimension, moment=moment
                )
                # compounding: every earlier exchange of praise in the pair halves (or less) the next
                exchanges = len({(e.source_kind, e.source_id) for e in reverse})
                if exchanges:
                    factor = params.RECIPROCAL_PRAISE_FACTOR**exchanges
                    effective *= factor
                    notes.append(f"reciprocal praise ({exchanges}×): ×{factor:.3g}")
                    discounted_pairs = [e for e in reverse if not e.reciprocal_discounted]
                circle = _closed_circle(actor_id=actor_id, subject_id=subject.pk, moment=moment)
                if circle:
                    factor = params.CLOSED_CIRCLE_FACTOR**circle
                    effective *= factor
                    notes.append(f"praise inside a closed circle ({circle}): ×{factor:.3g}")
        try:
            with transaction.atomic():
                event = TrustEvent.objects.create(
                    organization_id=organization_id,
                    subject=subject,
                    actor=actor,
                    dimension=dimension,
                    skill=skill,
                    outcome=outcome_value,
                    weight=effective,
                    base_weight=weight_value,
                    weight_note="; ".join(notes)[:200],
                    reciprocal_discounted="reciprocal" in " ".join(notes),
                    source_kind=source_kind,
                    source_id=source_id,
                    occurred_at=moment,
                    recorded_at=clock.now(),
                )
        except IntegrityError:
            raise Conflict(
                "This evidence was recorded concurrently; retry to get the stored record.",
                fields={"source_id": ["Recorded concurrently."]},
                code="already_recorded",
            ) from None
        for earlier in discounted_pairs:
            _rerecord_discounted(earlier)
        # the touched keys' tallies (and beliefs) follow the ledger in the same transaction
        refresh_keys(
            {(subject.pk, dimension, key["skill_key"])}
            | {(e.subject_id, e.dimension, e.skill_key) for e in discounted_pairs}
        )
        schedule_recompute(subject.pk)
    return event


# --- the anti-gaming rules --------------------------------------------------------------


def _earlier_ratings(*, actor_id: int, subject_id: int, moment: datetime, key: dict) -> int:
    """Distinct sources through which ``actor`` rated ``subject`` in the window before ``moment``.
    (Counting per source kind instead lifted honest competence at small sizes but let a ring
    member climb two deciles at full size in bench/trust_quality.py: kept across kinds.)"""
    earlier = (
        TrustEvent.objects.live()
        .filter(
            actor_id=actor_id,
            subject_id=subject_id,
            source_kind__in=sources.rating_kinds(),
            occurred_at__gte=moment - params.REPEAT_RATER_WINDOW,
            occurred_at__lte=moment,
        )
        .exclude(source_kind=key["source_kind"], source_id=key["source_id"])
        .values_list("source_kind", "source_id")
        .distinct()
    )
    return len(set(earlier))


def _reciprocal_praise(
    *, actor_id: int, subject_id: int, dimension: str, moment: datetime
) -> list[TrustEvent]:
    """Live praise the subject gave the actor for the same quality (dimension) within the
    window of ``moment``. Praise for different qualities is not an exchange: a seeker whose
    mentor's answers they accept (competence) and who is thanked for keeping their word
    (integrity) has not traded praise; two people praising each other's integrity — or
    each other's competence, in any skills — have."""
    return list(
        TrustEvent.objects.live()
        .filter(
            actor_id=subject_id,
            subject_id=actor_id,
            dimension=dimension,
            source_kind__in=sources.rating_kinds(),
            outcome__gte=params.PRAISE_THRESHOLD,
            occurred_at__gte=moment - params.RECIPROCAL_WINDOW,
            occurred_at__lte=moment + params.RECIPROCAL_WINDOW,
        )
        .select_related("skill")
    )


def _closed_circle(*, actor_id: int, subject_id: int, moment: datetime) -> int:
    """How many third people traded praise BOTH ways with the actor AND with the subject
    in the window.

    A ring rating each other perfectly is a closed circle of mutual praise: for
    any two members, every other member is a mutual partner of both. Honest
    colleagues share such partners rarely (mutual praise needs engagements)."""
    pairs = set(
        TrustEvent.objects.live()
        .filter(
            Q(actor_id__in=(actor_id, subject_id)) | Q(subject_id__in=(actor_id, subject_id)),
            source_kind__in=sources.rating_kinds(),
            outcome__gte=params.PRAISE_THRESHOLD,
            actor_id__isnull=False,
            occurred_at__gte=moment - params.RECIPROCAL_WINDOW,
            occurred_at__lte=moment + params.RECIPROCAL_WINDOW,
        )
        .values_list("actor_id", "subject_id")
    )  # one query: every praise given or received by either of the two

    def mutual_partners(person_id: int) -> set[int]:
        praised = {s for a, s in pairs if a == person_id}
        return {a for a, s in pairs if s == person_id and a in praised}

    subject_partners = mutual_partners(subject_id) - {actor_id}
    if not subject_partners:
        return 0
    return len(subject_partners & (mutual_partners(actor_id) - {subject_id}))


def _rerecord_discounted(event: TrustEvent) -> TrustEvent:
    """Reciprocal praise discount for an earlier event: void it and append the discounted copy."""
    append_void(event, reason="Reciprocal praise: discounted", voided_by=None)
    note = f"{event.weight_note}; " if event.weight_note else ""
    return TrustEvent.objects.create(
        organization_id=event.organization_id,
        subject_id=event.subject_id,
        actor_id=event.actor_id,
        dimension=event.dimension,
        skill_id=event.skill_id,
        outcome=event.outcome,
        weight=event.weight * params.RECIPROCAL_PRAISE_FACTOR,
        base_weight=event.base_weight,
        weight_note=(note + f"reciprocal praise: ×{params.RECIPROCAL_PRAISE_FACTOR:g}")[:200],
        reciprocal_discounted=True,
        source_kind=event.source_kind,
        source_id=event.source_id,
        revision=event.revision + 1,
        occurred_at=event.occurred_at,
        recorded_at=clock.now(),
    )
