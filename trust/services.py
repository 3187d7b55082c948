"""Trust writes. The only code that writes trust tables.

Public contract for other apps: ``record_evidence`` (and, for talent managers'
UIs, ``vouch_for``, ``dispute_raise``, ``dispute_decide``). Recomputes are
scheduled after commit and coalesced per subject.
"""

import logging
import math
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from functools import partial
from numbers import Real

import numpy as np
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q

from accounts.models import AuditEntry, Membership, Skill
from core import clock
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from trust import params, scoring, sources
from trust.models import TrustDispute, TrustDistribution, TrustEvent, TrustPrior, TrustScore, TrustSnapshot

logger = logging.getLogger(__name__)

# Advisory-lock namespace for "one subject's trust" on PostgreSQL.
_LOCK_CLASS = 7031
_FUTURE_TOLERANCE = timedelta(hours=1)


# --- locking and scheduling -----------------------------------------------------------


def lock_subjects(*user_ids: int) -> None:
    """Serialize trust writes per subject for the rest of the transaction.

    PostgreSQL: a transaction-level advisory lock per subject, taken in id order
    so two writers touching the same pair cannot deadlock. SQLite: write
    transactions are already serialized (IMMEDIATE mode), nothing to do.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for user_id in sorted({uid for uid in user_ids if uid is not None}):
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s::int4, %s::int4)", [_LOCK_CLASS, int(user_id) % 2147483647]
            )


def pending_flag(user_id: int) -> str:
    return f"trust:pending:{user_id}"


def _enqueue_recompute(user_id: int) -> None:
    from kombu.exceptions import OperationalError

    from trust.tasks import recompute_subject as recompute_subject_task

    if not cache.add(pending_flag(user_id), 1, timeout=params.PENDING_FLAG_TIMEOUT_SECONDS):
        return  # a recompute is already pending; it will read this event too
    try:
        recompute_subject_task.apply_async((user_id,), countdown=params.RECOMPUTE_COUNTDOWN_SECONDS)
    except OperationalError:
        # The broker is down: the event is durable, the nightly recompute catches up.
        cache.delete(pending_flag(user_id))
        logger.exception("could not enqueue the trust recompute of user %s", user_id)


def schedule_recompute(user_id: int) -> None:
    """After commit, make sure one recompute of ``user_id`` is pending (coalesced)."""
    transaction.on_commit(partial(_enqueue_recompute, user_id))


# --- validation helpers --------------------------------------------------------------


def _active_membership(user) -> Membership | None:
    return Membership.objects.filter(user_id=user.pk, is_active=True).select_related("organization").first()


def _as_unit_float(value, field: str, errors: dict) -> float | None:
    if isinstance(value, bool) or not isinstance(value, Real):
        errors[field] = [f"Give {field} as a number between 0 and 1."]
        return None
    number = float(value)
    if not math.isfinite(number) or number < 0.0 or number > 1.0:
        errors[field] = [f"{field.capitalize()} must be between 0 and 1 (got {value})."]
        return None
    return number


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


# --- the public write API -------------------------------------------------------------


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
    _void(event, reason="Reciprocal praise: discounted", voided_by=None)
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


def _void(event: TrustEvent, *, reason: str, voided_by) -> TrustEvent:
    void = TrustEvent.objects.create(
        organization_id=event.organization_id,
        subject_id=event.subject_id,
        actor=None,
        dimension=event.dimension,
        skill_id=event.skill_id,
        outcome=event.outcome,
        weight=event.weight,
        base_weight=event.base_weight,
        source_kind="void",
        source_id=str(event.pk),
        occurred_at=event.occurred_at,
        recorded_at=clock.now(),
        voids=event,
        void_reason=reason,
        voided_by=voided_by,
    )
    schedule_recompute(event.subject_id)
    return void


def void_event(*, event: TrustEvent, reason: str, voided_by) -> TrustEvent:
    """Cancel ``event`` with a compensating record. Only the dispute flow calls this."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Voiding evidence needs a reason.", fields={"reason": ["Say why this evidence no longer counts."]}
        )
    with transaction.atomic():
        lock_subjects(event.subject_id)
        if event.voids_id is not None:
            raise ValidationFailed(
                "A void record cannot itself be voided.", fields={"event": ["Choose an evidence item."]}
            )
        if TrustEvent.objects.filter(voids_id=event.pk).exists():
            raise Conflict("This evidence was already voided.", fields={"event": ["Already voided."]})
        void = _void(event, reason=reason, voided_by=voided_by)
        refresh_keys({(event.subject_id, event.dimension, event.skill_key)})
        return void


# --- vouching --------------------------------------------------------------------------


def _vouch_participants(source_id: str) -> set[int]:
    """A vouch "m:s" is shared by talent manager m and newcomer s of the same workspace."""
    try:
        manager_id, subject_id = (int(part) for part in source_id.split(":"))
    except ValueError:
        return set()
    manager = Membership.objects.filter(
        user_id=manager_id, is_active=True, role=Membership.Role.TALENT_MANAGER
    ).first()
    if manager is None:
        return set()
    if not Membership.objects.filter(
        user_id=subject_id, is_active=True, organization_id=manager.organization_id
    ).exists():
        return set()
    return {manager_id, subject_id}


def register_builtin_sources() -> None:
    sources.register_source(params.VOUCH_SOURCE_KIND, participants=_vouch_participants, is_rating=False)


def vouch_for(*, manager, subject, skill: Skill) -> TrustEvent:
    """A talent manager vouches for a newcomer's competence in one skill.

    One vouch per (manager, newcomer, skill); repeating it returns the same event.
    Only for people with little evidence yet (params.VOUCH_MAX_EVIDENCE)."""
    membership = _active_membership(manager)
    if membership is None or not membership.is_talent_manager:
        raise PermissionDenied("Only talent managers can vouch for a newcomer.")
    subject_membership = _active_membership(subject) if subject is not None else None
    if subject_membership is None or subject_membership.organization_id != membership.organization_id:
        raise NotFound(
            "No such person in your workspace.", fields={"user": ["Choose a member of your workspace."]}
        )
    if subject.pk == manager.pk:
        raise ValidationFailed(
            "Nobody can vouch for themselves.",
            fields={"user": ["Choose someone else."]},
            code="self_evidence",
        )
    if skill is None or skill.organization_id != membership.organization_id:
        raise ValidationFailed("Choose a skill of your workspace.", fields={"skill": ["Unknown skill."]})
    source_id = f"{manager.pk}:{subject.pk}"
    already = TrustEvent.objects.filter(
        source_kind=params.VOUCH_SOURCE_KIND, source_id=source_id, subject=subject, skill_key=skill.pk
    ).first()
    if already is None:
        live_count = TrustEvent.objects.live().filter(subject=subject).count()
        if live_count >= params.VOUCH_MAX_EVIDENCE:
            raise ValidationFailed(
                "Vouching is for newcomers; this person already has a track record.",
                fields={
                    "user": [
                        f"Has {live_count} pieces of evidence "
                        f"(vouching stops at {params.VOUCH_MAX_EVIDENCE})."
                    ]
                },
            )
    with transaction.atomic():
        event = record_evidence(
            subject=subject,
            actor=manager,
            dimension=params.COMPETENCE,
            skill=skill,
            outcome=params.VOUCH_OUTCOME,
            weight=params.VOUCH_WEIGHT,
            source_kind=params.VOUCH_SOURCE_KIND,
            source_id=source_id,
        )
        if already is None:
            AuditEntry.objects.create(
                organization_id=membership.organization_id,
                actor=manager,
                action="trust.vouched",
                target_type="user",
                target_id=str(subject.pk),
                details={"skill": skill.name, "event": event.pk},
            )
    return event


# --- disputes -----------------------------------------------------------------------


def access_own_event(user, event_id) -> TrustEvent:
    """A live evidence item about ``user``; the same NotFound for missing and not-yours."""
    try:
        event_id = int(event_id)
    except (TypeError, ValueError):
        raise NotFound("No such evidence item.") from None
    event = TrustEvent.objects.live().filter(pk=event_id, subject_id=user.pk).first()
    if event is None:
        raise NotFound("No such evidence item.", fields={"event": ["No such evidence item about you."]})
    return event


def dispute_raise(*, user, event_id, reason: str) -> TrustDispute:
    """The subject of an evidence item disputes it. One open dispute per item."""
    event = access_own_event(user, event_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Say why this evidence is wrong.",
            fields={"reason": ["A reason is required to dispute evidence."]},
        )
    if len(reason) > 2000:
        raise ValidationFailed(
            "The reason is too long.", fields={"reason": ["Keep it under 2000 characters."]}
        )
    with transaction.atomic():
        if TrustDispute.objects.filter(event=event, state=TrustDispute.State.OPEN).exists():
            raise Conflict(
                "This evidence is already disputed; wait for the decision.",
                fields={"event": ["A dispute on this item is open."]},
            )
        try:
            with transaction.atomic():
                dispute = TrustDispute.objects.create(
                    organization_id=event.organization_id, event=event, raised_by=user, reason=reason
                )
        except IntegrityError:
            raise Conflict(
                "This evidence is already disputed.", fields={"event": ["Already disputed."]}
            ) from None
        AuditEntry.objects.create(
            organization_id=event.organization_id,
            actor=user,
            action="trust.dispute_raised",
            target_type="trust_dispute",
            target_id=str(dispute.pk),
            details={"event": event.pk},
        )
    return dispute


def access_dispute_for_manager(manager, dispute_id) -> TrustDispute:
    membership = _active_membership(manager)
    if membership is None or not membership.is_talent_manager:
        raise PermissionDenied("Only talent managers decide disputes.")
    try:
        dispute_id = int(dispute_id)
    except (TypeError, ValueError):
        raise NotFound("No such dispute.") from None
    dispute = (
        TrustDispute.objects.select_related("event")
        .filter(pk=dispute_id, organization_id=membership.organization_id)
        .first()
    )
    if dispute is None:
        raise NotFound("No such dispute.")
    return dispute


def dispute_decide(*, manager, dispute_id, decision: str, note: str) -> TrustDispute:
    """A talent manager upholds (evidence voided, score recomputed) or rejects a dispute.

    Moves through TrustDispute.TRANSITIONS only; audited; the note is shown to the subject."""
    dispute = access_dispute_for_manager(manager, dispute_id)
    if dispute.raised_by_id == manager.pk or dispute.event.actor_id == manager.pk:
        raise PermissionDenied("Another talent manager must decide a dispute you are part of.")
    errors = {}
    if decision not in (TrustDispute.State.UPHELD, TrustDispute.State.REJECTED):
        errors["decision"] = ['Decide "upheld" or "rejected".']
    note = (note or "").strip()
    if not note:
        errors["note"] = ["Explain the decision; the person who disputed will read it."]
    elif len(note) > 2000:
        errors["note"] = ["Keep it under 2000 characters."]
    if errors:
        raise ValidationFailed("The decision is incomplete.", fields=errors)
    with transaction.atomic():
        dispute = TrustDispute.objects.select_for_update().get(pk=dispute.pk)
        if decision not in TrustDispute.TRANSITIONS[dispute.state]:
            raise Conflict(
                f"This dispute was already {dispute.state}.", fields={"decision": ["Already decided."]}
            )
        if decision == TrustDispute.State.UPHELD:
            void_event(event=dispute.event, reason=f"Dispute upheld: {note}", voided_by=manager)
        dispute.state = decision
        dispute.decided_by = manager
        dispute.decision_note = note
        dispute.decided_at = clock.now()
        dispute.save(update_fields=["state", "decided_by", "decision_note", "decided_at"])
        AuditEntry.objects.create(
            organization_id=dispute.organization_id,
            actor=manager,
            action=f"trust.dispute_{decision}",
            target_type="trust_dispute",
            target_id=str(dispute.pk),
            details={"event": dispute.event_id},
        )
    return dispute


# --- recompute -----------------------------------------------------------------------
#
# A TrustScore row holds two things (trust/models.py): the key's *tally* — a pure
# function of its live evidence (count, distinct raters, newest evidence, and the
# decayed sums referenced to that newest evidence) — and the *belief* at computed_at.
# Every ledger write rebuilds the tallies of the keys it touched, in its own
# transaction (``refresh_keys``); the nightly refresh derives every belief from the
# tallies without reading the ledger; ``recompute_all(from_ledger=True)`` rebuilds
# everything from the ledger (the repair path, and what a change of a half-life needs).


def prior_means(organization_id: int) -> dict[str, float]:
    stored = dict(TrustPrior.objects.filter(organization_id=organization_id).values_list("dimension", "mean"))
    return {dimension: stored.get(dimension, params.DEFAULT_PRIOR_MEAN) for dimension in params.DIMENSIONS}


_SCORE_FIELDS = [
    "organization",
    "skill",
    "alpha",
    "beta",
    "mean",
    "lower",
    "upper",
    "evidence_weight",
    "evidence_count",
    "distinct_raters",
    "last_evidence_at",
    "computed_at",
    "good_at_last",
    "bad_at_last",
]


def _rebuild_subject(user_id: int, *, as_of: datetime, keys: set[tuple[str, int]] | None = None) -> int:
    """Rebuild tally and belief of ``keys`` (every key of the subject when None) from the
    live ledger: upsert the keys with evidence, delete the others. The caller holds the
    subject's lock (``lock_subjects``) inside a transaction."""
    events = TrustEvent.objects.live().filter(subject_id=user_id)
    if keys is not None:
        if not keys:
            return 0
        wanted = Q()
        for dimension, skill_key in keys:
            wanted |= Q(dimension=dimension, skill_key=skill_key)
        events = events.filter(wanted)
    rows = events.values_list(
        "organization_id", "dimension", "skill_key", "outcome", "weight", "occurred_at", "actor_id"
    )
    groups: dict[tuple[str, int], list[scoring.Evidence]] = defaultdict(list)
    organization_id = None
    for org_id, dimension, skill_key, outcome, weight, occurred_at, actor_id in rows:
        organization_id = org_id
        groups[(dimension, skill_key)].append(scoring.Evidence(outcome, weight, occurred_at, actor_id))
    scores = []
    if groups:
        priors = prior_means(organization_id)
        for (dimension, skill_key), evidence in groups.items():
            b = scoring.belief(evidence, dimension=dimension, prior_mean=priors[dimension], as_of=as_of)
            scores.append(
                TrustScore(
                    organization_id=organization_id,
                    subject_id=user_id,
                    dimension=dimension,
                    skill_id=skill_key or None,
                    skill_key=skill_key,
                    alpha=b.alpha,
                    beta=b.beta,
                    mean=b.mean,
                    lower=b.lower,
                    upper=b.upper,
                    evidence_weight=b.evidence_weight,
                    evidence_count=b.evidence_count,
                    distinct_raters=b.distinct_raters,
                    last_evidence_at=b.last_evidence_at,
                    computed_at=as_of,
                    good_at_last=b.good_at_last,
                    bad_at_last=b.bad_at_last,
                )
            )
        TrustScore.objects.bulk_create(
            scores,
            update_conflicts=True,
            unique_fields=["subject", "dimension", "skill_key"],
            update_fields=_SCORE_FIELDS,
        )
    existing = TrustScore.objects.filter(subject_id=user_id)
    if keys is not None:
        for dimension, skill_key in keys - set(groups):
            existing.filter(dimension=dimension, skill_key=skill_key).delete()
    else:
        stale = [
            pk for pk, d, k in existing.values_list("pk", "dimension", "skill_key") if (d, k) not in groups
        ]
        if stale:
            TrustScore.objects.filter(pk__in=stale).delete()
    return len(scores)


def refresh_keys(touched: set[tuple[int, str, int]], *, as_of: datetime | None = None) -> None:
    """Bring the tallies (and beliefs) of the touched (subject, dimension, skill_key) keys
    in line with the ledger. Called inside the transaction of every ledger write, with
    the subjects locked, so a committed ledger always has matching tallies."""
    as_of = as_of or clock.now()
    by_subject: dict[int, set[tuple[str, int]]] = defaultdict(set)
    for subject_id, dimension, skill_key in touched:
        by_subject[subject_id].add((dimension, skill_key))
    for subject_id, keys in sorted(by_subject.items()):
        _rebuild_subject(subject_id, as_of=as_of, keys=keys)


def recompute_subject(user_id: int, *, as_of: datetime | None = None) -> int:
    """Rebuild all of one subject's scores (tallies and beliefs) from the ledger.
    Returns the number of scores.

    Idempotent and safe to run concurrently: it holds the subject's lock while it
    reads the ledger and upserts, and every run computes the whole state."""
    as_of = as_of or clock.now()
    with transaction.atomic():
        lock_subjects(user_id)
        return _rebuild_subject(user_id, as_of=as_of)


def _half_life_sql(column: str) -> str:
    return (
        f"CASE {column} "
        + " ".join(f"WHEN '{dimension}' THEN {days!r}" for dimension, days in params.HALF_LIFE_DAYS.items())
        + " END"
    )


def _aggregate_sql(*, vendor: str, organization_id: int | None) -> str:
    """The GROUP BY over the live ledger behind ``recompute_all(from_ledger=True)``."""
    event = TrustEvent._meta.db_table
    half_life = _half_life_sql("e.dimension")
    if vendor == "postgresql":
        # date_part (float8), not EXTRACT (numeric since PostgreSQL 14): numeric math is slow
        signed = "date_part('epoch', %(as_of)s::timestamptz - e.occurred_at) / 86400.0"
        two = "2.0::float8"
    else:
        signed = "(julianday(%(as_of)s) - julianday(e.occurred_at))"
        two = "2.0"
    # Per event, once: ref = 2^((t − as_of)/h), unclamped — times 2^((as_of − last)/h) it is the
    # tally's factor — and the decay at as_of, which is ref except for evidence younger than
    # as_of (counts as fresh: 1). OFFSET 0 keeps the subquery from being flattened, so POWER
    # runs once per event instead of once per reference.
    ref = f"POWER({two}, -({signed}) / ({half_life}))"
    fence = "OFFSET 0" if vendor == "postgresql" else "LIMIT -1 OFFSET 0"
    where = "" if organization_id is None else "AND e.organization_id = %(org)s"
    # Two-level aggregation: (key, actor) first, then key; counting distinct raters
    # this way stays a hash aggregate instead of a sort per group. The void set is
    # small: NOT IN over it is a hashed sub-plan, one probe per ledger row.
    # Identifiers come from model metadata and params, every value is a query parameter.
    return f"""
        SELECT organization_id, subject_id, dimension, skill_key,
               SUM(good), SUM(bad), SUM(n), COUNT(actor_id), MAX(last_at), SUM(good_ref), SUM(bad_ref)
        FROM (
            SELECT organization_id, subject_id, dimension, skill_key, actor_id,
                   SUM(wg * decay) AS good,
                   SUM(wb * decay) AS bad,
                   COUNT(*) AS n,
                   MAX(occurred_at) AS last_at,
                   SUM(wg * ref) AS good_ref,
                   SUM(wb * ref) AS bad_ref
            FROM (
                SELECT organization_id, subject_id, dimension, skill_key, actor_id, occurred_at, wg, wb, ref,
                       CASE WHEN age > 0.0 THEN ref ELSE 1.0 END AS decay
                FROM (
                    SELECT e.organization_id, e.subject_id, e.dimension, e.skill_key, e.actor_id,
                           e.occurred_at, e.weight * e.outcome AS wg, e.weight * (1.0 - e.outcome) AS wb,
                           {signed} AS age, {ref} AS ref
                    FROM {event} e
                    WHERE e.voids_id IS NULL
                      AND e.id NOT IN (SELECT v.voids_id FROM {event} v WHERE v.voids_id IS NOT NULL)
                      {where}
                    {fence}
                ) per_event_raw
            ) per_event
            GROUP BY organization_id, subject_id, dimension, skill_key, actor_id
        ) per_actor
        GROUP BY organization_id, subject_id, dimension, skill_key
    """  # noqa: S608


def _sqlite_moment(as_of: datetime) -> str:
    # SQLite stores naive UTC text; julianday() wants the same shape.
    return as_of.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def aggregate_ledger(*, as_of: datetime, organization_id: int | None = None) -> list[tuple]:
    """One GROUP BY over the live ledger, decay in SQL: (org, subject, dimension, skill_key,
    good, bad, count, distinct raters, last, good·2^(as_of−…), bad·2^(as_of−…))."""
    sql = _aggregate_sql(vendor=connection.vendor, organization_id=organization_id)
    moment = as_of if connection.vendor == "postgresql" else _sqlite_moment(as_of)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"as_of": moment, "org": organization_id})
        return cursor.fetchall()


def _parse_dt(value):
    if value is None or isinstance(value, datetime):
        return value
    from django.utils.dateparse import parse_datetime
    from django.utils.timezone import make_aware

    parsed = parse_datetime(value)
    return make_aware(parsed) if parsed.tzinfo is None else parsed


def _refresh_priors(totals: dict[tuple[int, str], tuple[float, float]], *, as_of: datetime) -> None:
    """Swift-trust priors: the decayed workspace mean per (workspace, dimension), one upsert."""
    if not totals:
        return
    TrustPrior.objects.bulk_create(
        [
            TrustPrior(
                organization_id=org_id, dimension=dimension, mean=scoring.workspace_mean(good, total),
                evidence=total, computed_at=as_of,
            )
            for (org_id, dimension), (good, total) in totals.items()
        ],
        update_conflicts=True,
        unique_fields=["organization", "dimension"],
        update_fields=["mean", "evidence", "computed_at"],
    )  # fmt: skip


def recompute_all(
    *, organization_id: int | None = None, as_of: datetime | None = None, from_ledger: bool = False
) -> int:
    """Nightly, set-based: refresh workspace priors and every score as of ``as_of``.

    Default (the nightly job): derive every belief from the stored tallies — the
    ledger is not read, except for the rare keys whose newest evidence is younger
    than ``as_of`` (clock skew, or ``as_of`` in the past), which are recomputed from
    their events. On PostgreSQL the tallies travel out and the results back with
    binary COPY, the Beta quantiles are vectorized, and one UPDATE writes the
    beliefs; a row written by anyone else since it was read (its ``xmin`` changed)
    or computed later than ``as_of`` is left alone.

    ``from_ledger=True`` (the repair path): one GROUP BY over the whole live ledger
    rebuilds tallies and beliefs of every key, inserts missing rows and deletes rows
    without live evidence. Needed after a change of ``params.HALF_LIFE_DAYS`` and to
    repair tallies; gives the same scores as the default path.

    Returns the number of scores written."""
    as_of = as_of or clock.now()
    if from_ledger:
        if connection.vendor == "postgresql":
            return _rebuild_all_postgres(as_of=as_of, organization_id=organization_id)
        return _rebuild_all_portable(as_of=as_of, organization_id=organization_id)
    if connection.vendor == "postgresql":
        return _refresh_all_postgres(as_of=as_of, organization_id=organization_id)
    return _refresh_all_portable(as_of=as_of, organization_id=organization_id)


# The nightly refresh --------------------------------------------------------------------


def _ahead_sums(keys: list[tuple[int, int, str, int]], *, as_of: datetime) -> dict[int, tuple]:
    """Exact decayed (good, bad) at ``as_of`` from the ledger for the keys whose newest evidence
    is younger than ``as_of``: keys are (score id, subject id, dimension, skill_key)."""
    if not keys:
        return {}
    wanted = Q()
    for _pk, subject_id, dimension, skill_key in keys:
        wanted |= Q(subject_id=subject_id, dimension=dimension, skill_key=skill_key)
    groups: dict[tuple[int, str, int], list[scoring.Evidence]] = defaultdict(list)
    for subject_id, dimension, skill_key, outcome, weight, occurred_at in (
        TrustEvent.objects.live()
        .filter(wanted)
        .values_list("subject_id", "dimension", "skill_key", "outcome", "weight", "occurred_at")
    ):
        groups[(subject_id, dimension, skill_key)].append(scoring.Evidence(outcome, weight, occurred_at))
    sums = {}
    for pk, subject_id, dimension, skill_key in keys:
        b = scoring.belief(
            groups[(subject_id, dimension, skill_key)], dimension=dimension, prior_mean=0.5, as_of=as_of
        )
        prior_a, prior_b = scoring.prior(0.5)
        sums[pk] = (b.alpha - prior_a, b.beta - prior_b)
    return sums


def _dimension_codes(dimensions) -> np.ndarray:
    index = {dimension: i for i, dimension in enumerate(params.DIMENSIONS)}
    return np.asarray([index[d] for d in dimensions], dtype=np.int64)


def _group_sums(org_ids: np.ndarray, dim_codes: np.ndarray, good: np.ndarray, bad: np.ndarray) -> dict:
    """{(organization, dimension): (Σ good, Σ good + bad)} — the inputs of the workspace priors."""
    if not len(org_ids):
        return {}
    keys = org_ids.astype(np.int64) * len(params.DIMENSIONS) + dim_codes
    unique, inverse = np.unique(keys, return_inverse=True)
    good_sum = np.bincount(inverse, weights=good, minlength=len(unique))
    total_sum = np.bincount(inverse, weights=good + bad, minlength=len(unique))
    return {
        (int(key) // len(params.DIMENSIONS), params.DIMENSIONS[int(key) % len(params.DIMENSIONS)]): (
            float(g),
            float(t),
        )
        for key, g, t in zip(unique.tolist(), good_sum, total_sum, strict=True)
    }


def _beliefs_from_sums(org_ids, dim_codes, good, bad, priors: dict[tuple[int, str], float]):
    """Vectorized: alpha, beta, mean, lower, upper from decayed sums and the workspace priors."""
    org_ids = np.asarray(org_ids, dtype=np.int64)
    dim_codes = np.asarray(dim_codes, dtype=np.int64)
    keys = org_ids * len(params.DIMENSIONS) + dim_codes
    unique, inverse = np.unique(keys, return_inverse=True)
    table = np.asarray(
        [
            priors.get(
                (int(key) // len(params.DIMENSIONS), params.DIMENSIONS[int(key) % len(params.DIMENSIONS)]),
                params.DEFAULT_PRIOR_MEAN,
            )
            for key in unique.tolist()
        ],
        dtype=np.float64,
    )
    low, high = params.PRIOR_MEAN_BOUNDS
    mu = np.clip(table, low, high)[inverse] if len(keys) else np.zeros(0)
    alpha = params.PRIOR_STRENGTH * mu + good
    beta = params.PRIOR_STRENGTH * (1.0 - mu) + bad
    lower, upper = scoring.quantiles(alpha, beta)
    return alpha, beta, alpha / (alpha + beta), lower, upper


def _stored_priors() -> dict[tuple[int, str], float]:
    return {
        (org_id, dimension): mean
        for org_id, dimension, mean in TrustPrior.objects.values_list("organization_id", "dimension", "mean")
    }


def _refresh_all_postgres(*, as_of: datetime, organization_id: int | None) -> int:
    # Identifiers below come from model metadata and params; every value is a query parameter.
    score = TrustScore._meta.db_table
    factor = (
        "POWER(2.0::float8, -(date_part('epoch', %(as_of)s::timestamptz - s.last_evidence_at) / 86400.0) / "
        f"({_half_life_sql('s.dimension')}))"
    )
    org = "" if organization_id is None else " AND s.organization_id = %(org)s"
    dimension_code = (
        "CASE s.dimension "
        + " ".join(f"WHEN '{d}' THEN {i}" for i, d in enumerate(params.DIMENSIONS))
        + " END"
    )
    args = {"as_of": as_of, "org": organization_id}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{params.RECOMPUTE_WORK_MEM}'")
        cursor.execute("SET LOCAL jit = off")
        # 1. One scan of the scores: every key's decayed sums at as_of, from its tally, as one
        # row of packed big-endian columns (a per-row result costs more on the client than
        # the whole query).
        rows = _fetch_packed(
            cursor,
            {
                "id": "int8send(s.id)",
                "xmin": "xidsend(s.xmin)",
                "org": "int8send(s.organization_id)",
                "dim": f"int4send({dimension_code})",
                # 1: evidence younger than as_of; 2: no tally (a row no ledger write produced)
                "ahead": "int4send(CASE WHEN s.evidence_count = 0 OR s.last_evidence_at IS NULL THEN 2 "
                "WHEN s.last_evidence_at > %(as_of)s THEN 1 ELSE 0 END)",
                # never NULL: string_agg would skip it and misalign the columns
                "good": f"float8send(COALESCE(s.good_at_last * {factor}, 0.0))",
                "bad": f"float8send(COALESCE(s.bad_at_last * {factor}, 0.0))",
            },
            f"FROM {score} s WHERE TRUE{org}",
            args,
        )
        orphans = rows["ahead"] == 2
        if orphans.any():
            # rows without a tally: no live evidence, as in the repair path
            cursor.execute(f"DELETE FROM {score} WHERE id = ANY(%s)", [rows["id"][orphans].tolist()])  # noqa: S608
            rows = {name: column[~orphans] for name, column in rows.items()}
        ids, xmins, good, bad = rows["id"], rows["xmin"], rows["good"], rows["bad"]
        org_ids, dim_codes = rows["org"], rows["dim"].astype(np.int64)
        # 2. Keys with evidence younger than as_of (clock skew, as_of in the past): the tally
        # cannot say "counts as fresh", so those few come from their events.
        ahead = np.flatnonzero(rows["ahead"] == 1)
        if len(ahead):
            keys = TrustScore.objects.filter(pk__in=ids[ahead].tolist()).values_list(
                "pk", "subject_id", "dimension", "skill_key"
            )
            sums = _ahead_sums(list(keys), as_of=as_of)
            good[ahead] = [sums[pk][0] for pk in ids[ahead].tolist()]
            bad[ahead] = [sums[pk][1] for pk in ids[ahead].tolist()]
        # 3. Workspace priors from the same sums; then every belief, vectorized.
        _refresh_priors(_group_sums(org_ids, dim_codes, good, bad), as_of=as_of)
        written = 0
        if len(ids):
            alpha, beta, mean, lower, upper = _beliefs_from_sums(
                org_ids, dim_codes, good, bad, _stored_priors()
            )
            # 4. Beliefs back in (binary COPY into a temporary table), one UPDATE of the scores:
            # HOT (no indexed column changes), and only where the row is still the version read.
            # ON COMMIT DROP, but a caller's outer transaction may run this twice
            cursor.execute("DROP TABLE IF EXISTS pg_temp.trust_refresh")
            cursor.execute(
                "CREATE TEMPORARY TABLE trust_refresh (id bigint, x xid, a float8, b float8, m float8, "
                "lo float8, up float8, w float8) ON COMMIT DROP"
            )
            _copy_in(
                cursor,
                "trust_refresh",
                {
                    "id": ids,
                    "xmin": xmins,
                    "alpha": alpha,
                    "beta": beta,
                    "mean": mean,
                    "lower": lower,
                    "upper": upper,
                    "weight": good + bad,
                },
            )
            cursor.execute("ANALYZE trust_refresh")  # a hash join on id, not a nested loop
            cursor.execute(
                f"UPDATE {score} s SET alpha = t.a, beta = t.b, mean = t.m, lower = t.lo, "  # noqa: S608
                "upper = t.up, evidence_weight = t.w, computed_at = %(as_of)s "
                "FROM trust_refresh t WHERE s.id = t.id AND s.xmin = t.x",
                args,
            )
            written = cursor.rowcount
        return written


_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_COPY_TRAILER = b"\xff\xff"
# What the nightly refresh reads per score: id, xmin, organization, dimension (index into
# params.DIMENSIONS) and the decayed sums at as_of, as big-endian binary.
_PACKED_FIELDS = {
    "id": ">i8",
    "xmin": ">u4",
    "org": ">i8",
    "dim": ">i4",
    "ahead": ">i4",
    "good": ">f8",
    "bad": ">f8",
}
# What it writes back (binary COPY): id, xmin and the belief.
_IN_FIELDS = (
    ("id", ">i8"),
    ("xmin", ">u4"),
    *((name, ">f8") for name in ("alpha", "beta", "mean", "lower", "upper", "weight")),
)


def _fetch_packed(cursor, columns: dict[str, str], from_where: str, args: dict) -> dict[str, np.ndarray]:
    """Each column aggregated server-side into one bytea of its binary send format
    (``string_agg`` of ``*send()``; every aggregate of one query sees the rows in the same
    order), read by numpy without a per-row step."""
    select = ", ".join(f"string_agg({expression}, ''::bytea)" for expression in columns.values())
    raw = cursor.cursor
    raw.execute("SET LOCAL max_parallel_workers_per_gather = 0")  # one ordered stream of rows
    raw.execute(f"SELECT {select} {from_where}", args)  # bytea arrives hex-encoded, decoded in C
    values = raw.fetchone()
    return {
        name: np.frombuffer(value or b"", dtype=_PACKED_FIELDS[name]).astype(
            _PACKED_FIELDS[name].replace(">", "=")
        )
        for name, value in zip(columns, values, strict=True)
    }


def _binary_row_dtype(fields) -> np.dtype:
    """A binary COPY row of non-null fixed-width fields: int16 field count, then per field an
    int32 length and the big-endian value."""
    layout = [("n", ">i2")]
    for name, kind in fields:
        layout += [(f"l_{name}", ">i4"), (name, kind)]
    return np.dtype(layout)


def _copy_in(cursor, table: str, columns: dict[str, np.ndarray]) -> None:
    """``COPY table FROM STDIN (FORMAT BINARY)`` of numpy columns (in ``_IN_FIELDS`` order)."""
    dtype = _binary_row_dtype(_IN_FIELDS)
    out = np.empty(len(columns["id"]), dtype=dtype)
    out["n"] = len(_IN_FIELDS)
    for name, _ in _IN_FIELDS:
        out[f"l_{name}"] = dtype[name].itemsize
        out[name] = columns[name]
    with cursor.cursor.copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(_COPY_HEADER + out.tobytes() + _COPY_TRAILER)


def _refresh_all_portable(*, as_of: datetime, organization_id: int | None) -> int:
    """SQLite (development, tests): the same refresh through the ORM, in one write transaction
    (SQLite serializes writers, so nothing changes between the read and the write)."""
    with transaction.atomic():
        scores = TrustScore.objects.filter(evidence_count__gt=0, last_evidence_at__isnull=False)
        if organization_id is not None:
            scores = scores.filter(organization_id=organization_id)
        rows = list(
            scores.values_list(
                "id", "subject_id", "dimension", "skill_key", "organization_id", "last_evidence_at",
                "good_at_last", "bad_at_last",
            )
        )  # fmt: skip
        ahead_sums = _ahead_sums([row[:4] for row in rows if row[5] > as_of], as_of=as_of)
        good = np.zeros(len(rows))
        bad = np.zeros(len(rows))
        for i, (pk, _subject, dimension, _skill, _org, last, good_at_last, bad_at_last) in enumerate(rows):
            if pk in ahead_sums:
                good[i], bad[i] = ahead_sums[pk]
            else:
                good[i], bad[i] = scoring.decayed(
                    good_at_last, bad_at_last, last=last, dimension=dimension, as_of=as_of
                )
        org_ids = np.asarray([row[4] for row in rows], dtype=np.int64)
        dim_codes = _dimension_codes([row[2] for row in rows])
        _refresh_priors(_group_sums(org_ids, dim_codes, good, bad), as_of=as_of)
        if rows:
            alpha, beta, mean, lower, upper = _beliefs_from_sums(
                org_ids, dim_codes, good, bad, _stored_priors()
            )
            TrustScore.objects.bulk_update(
                [
                    TrustScore(
                        pk=row[0],
                        alpha=float(alpha[i]),
                        beta=float(beta[i]),
                        mean=float(mean[i]),
                        lower=float(lower[i]),
                        upper=float(upper[i]),
                        evidence_weight=float(good[i] + bad[i]),
                        computed_at=as_of,
                    )
                    for i, row in enumerate(rows)
                ],
                ["alpha", "beta", "mean", "lower", "upper", "evidence_weight", "computed_at"],
                batch_size=500,
            )
        orphans = TrustScore.objects.filter(Q(evidence_count=0) | Q(last_evidence_at__isnull=True))
        if organization_id is not None:
            orphans = orphans.filter(organization_id=organization_id)
        orphans.delete()
        return len(rows)


# The repair path: everything from the ledger ----------------------------------------------


def _float_csv(values: np.ndarray) -> str:
    # repr() round-trips a float exactly; PostgreSQL parses the list in C.
    return ",".join(map(repr, values.tolist()))


def _rebuild_all_postgres(*, as_of: datetime, organization_id: int | None) -> int:
    score = TrustScore._meta.db_table
    prior = TrustPrior._meta.db_table
    aggregate = _aggregate_sql(vendor="postgresql", organization_id=organization_id)
    low, high = params.PRIOR_MEAN_BOUNDS
    mu = f"LEAST(GREATEST(COALESCE(p.mean, {params.DEFAULT_PRIOR_MEAN!r}), {low!r}), {high!r})"
    m = repr(params.PRIOR_STRENGTH)
    to_last = (
        "POWER(2.0::float8, date_part('epoch', %(as_of)s::timestamptz - t.last_at) / 86400.0 / "
        f"({_half_life_sql('t.dimension')}))"
    )
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if outermost:
            # One snapshot for the ledger read and the writes: a score a ledger write changes
            # meanwhile makes the MERGE fail with a serialization error (the task retries)
            # instead of overwriting a newer tally with an older one.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        # A batch job: enough memory for the hash aggregates not to spill, and no JIT
        # (compiling the plan costs more than it saves at this size).
        cursor.execute(f"SET LOCAL work_mem = '{params.RECOMPUTE_WORK_MEM}'")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("DROP TABLE IF EXISTS pg_temp.trust_recompute_agg")
        cursor.execute(
            """
            CREATE TEMPORARY TABLE trust_recompute_agg (
                rid bigint GENERATED ALWAYS AS IDENTITY, organization_id bigint, subject_id bigint,
                dimension varchar(20), skill_key bigint, good float8, bad float8, n int, raters int,
                last_at timestamptz, good_ref float8, bad_ref float8
            ) ON COMMIT DROP
            """
        )
        cursor.execute(
            "INSERT INTO trust_recompute_agg (organization_id, subject_id, dimension, skill_key, good, bad, "
            f"n, raters, last_at, good_ref, bad_ref) {aggregate}",
            {"as_of": as_of, "org": organization_id},
        )
        cursor.execute(
            "SELECT organization_id, dimension, SUM(good), SUM(good + bad) "
            "FROM trust_recompute_agg GROUP BY 1, 2"
        )
        _refresh_priors({(o, d): (g, t) for o, d, g, t in cursor.fetchall()}, as_of=as_of)
        cursor.execute(
            f"""
            SELECT COUNT(*), string_agg(a::text, ',' ORDER BY rid), string_agg(b::text, ',' ORDER BY rid)
            FROM (
                SELECT t.rid, {m} * {mu} + t.good AS a, {m} * (1.0 - {mu}) + t.bad AS b
                FROM trust_recompute_agg t
                LEFT JOIN {prior} p ON p.organization_id = t.organization_id AND p.dimension = t.dimension
            ) ab
            """  # noqa: S608 (identifiers from model metadata and params)
        )
        count, alpha_csv, beta_csv = cursor.fetchone()
        if count:
            alpha = np.array(alpha_csv.split(","), dtype=np.float64)
            beta = np.array(beta_csv.split(","), dtype=np.float64)
            lower, upper = scoring.quantiles(alpha, beta)
            # MERGE joins the new rows to the scores in one hash join (no per-row conflict
            # probe); the updated columns are not indexed, so updates stay HOT.
            cursor.execute(
                f"""
                MERGE INTO {score} s
                USING (
                    SELECT t.*, {m} * {mu} + t.good AS a, {m} * (1.0 - {mu}) + t.bad AS b, q.lo, q.up,
                           t.good_ref * {to_last} AS good_last, t.bad_ref * {to_last} AS bad_last
                    FROM trust_recompute_agg t
                    LEFT JOIN {prior} p ON p.organization_id = t.organization_id AND p.dimension = t.dimension
                    JOIN unnest(string_to_array(%(lower)s, ',')::float8[],
                                string_to_array(%(upper)s, ',')::float8[]) WITH ORDINALITY AS q(lo, up, rid)
                         ON q.rid = t.rid
                ) n
                ON s.subject_id = n.subject_id AND s.dimension = n.dimension AND s.skill_key = n.skill_key
                WHEN MATCHED THEN UPDATE SET
                    organization_id = n.organization_id, alpha = n.a, beta = n.b, mean = n.a / (n.a + n.b),
                    lower = n.lo, upper = n.up, evidence_weight = n.good + n.bad, evidence_count = n.n,
                    distinct_raters = n.raters, last_evidence_at = n.last_at, computed_at = %(as_of)s,
                    good_at_last = n.good_last, bad_at_last = n.bad_last
                WHEN NOT MATCHED THEN INSERT (organization_id, subject_id, dimension, skill_id, skill_key,
                    alpha, beta, mean, lower, upper, evidence_weight, evidence_count, distinct_raters,
                    last_evidence_at, computed_at, good_at_last, bad_at_last)
                VALUES (n.organization_id, n.subject_id, n.dimension, NULLIF(n.skill_key, 0), n.skill_key,
                    n.a, n.b, n.a / (n.a + n.b), n.lo, n.up, n.good + n.bad, n.n, n.raters, n.last_at,
                    %(as_of)s, n.good_last, n.bad_last)
                """,  # noqa: S608 (identifiers from model metadata and params; values are parameters)
                {"as_of": as_of, "lower": _float_csv(lower), "upper": _float_csv(upper)},
            )
        # keys without live evidence (all voided) lose their score
        cursor.execute(
            f"DELETE FROM {score} s WHERE NOT EXISTS (SELECT 1 FROM trust_recompute_agg t "  # noqa: S608
            "WHERE t.subject_id = s.subject_id AND t.dimension = s.dimension AND t.skill_key = s.skill_key)"
            + ("" if organization_id is None else " AND s.organization_id = %(org)s"),
            {"org": organization_id},
        )
        return count or 0


def _rebuild_all_portable(*, as_of: datetime, organization_id: int | None) -> int:
    """SQLite (development, tests): the same aggregate, fetched; the same upsert through the ORM."""
    with transaction.atomic():
        return _rebuild_all_portable_locked(as_of=as_of, organization_id=organization_id)


def _rebuild_all_portable_locked(*, as_of: datetime, organization_id: int | None) -> int:
    rows = aggregate_ledger(as_of=as_of, organization_id=organization_id)
    totals: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for org_id, _subject, dimension, _skill, good, bad, *_ in rows:
        acc = totals[(org_id, dimension)]
        acc[0] += good
        acc[1] += good + bad
    _refresh_priors(totals, as_of=as_of)
    keep = {(row[1], row[2], row[3]) for row in rows}
    existing = TrustScore.objects.all()
    if organization_id is not None:
        existing = existing.filter(organization_id=organization_id)
    stale = [
        pk
        for pk, *key in existing.values_list("pk", "subject_id", "dimension", "skill_key")
        if tuple(key) not in keep
    ]
    if stale:
        TrustScore.objects.filter(pk__in=stale).delete()
    if not rows:
        return 0
    priors = {
        (org_id, dimension): mean
        for org_id, dimension, mean in TrustPrior.objects.values_list("organization_id", "dimension", "mean")
    }
    columns = list(zip(*rows, strict=True))
    org_ids, subject_ids, dimensions, skill_keys = columns[0], columns[1], columns[2], columns[3]
    good = np.asarray(columns[4], dtype=float)
    bad = np.asarray(columns[5], dtype=float)
    alpha, beta, mean, lower, upper = _beliefs_from_sums(
        np.asarray(org_ids, dtype=np.int64), _dimension_codes(dimensions), good, bad, priors
    )
    objs = []
    for i in range(len(rows)):
        last = _parse_dt(columns[8][i])
        # the ledger sums were referenced to as_of; the tally is referenced to the newest evidence
        back = 2.0 ** (scoring.age_days(last, as_of) / params.HALF_LIFE_DAYS[dimensions[i]])
        objs.append(
            TrustScore(
                organization_id=org_ids[i],
                subject_id=subject_ids[i],
                dimension=dimensions[i],
                skill_id=int(skill_keys[i]) or None,
                skill_key=int(skill_keys[i]),
                alpha=float(alpha[i]),
                beta=float(beta[i]),
                mean=float(mean[i]),
                lower=float(lower[i]),
                upper=float(upper[i]),
                evidence_weight=float(good[i] + bad[i]),
                evidence_count=int(columns[6][i]),
                distinct_raters=int(columns[7][i]),
                last_evidence_at=last,
                computed_at=as_of,
                good_at_last=float(columns[9][i]) * back,
                bad_at_last=float(columns[10][i]) * back,
            )
        )
    TrustScore.objects.bulk_create(
        objs,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["subject", "dimension", "skill_key"],
        update_fields=_SCORE_FIELDS,
    )
    return len(rows)


def snapshot_daily(*, day: date | None = None) -> int:
    """Copy every current score into that day's snapshot (set-based; re-running the day
    overwrites) and recount that day's ``TrustDistribution`` from it, in one transaction."""
    day = day or clock.now().date()
    score, snapshot = TrustScore._meta.db_table, TrustSnapshot._meta.db_table
    sql = f"""
        INSERT INTO {snapshot} (organization_id, subject_id, dimension, skill_id, skill_key, date,
                                mean, lower, evidence_count)
        SELECT organization_id, subject_id, dimension, skill_id, skill_key, %s, mean, lower, evidence_count
        FROM {score} WHERE 1 = 1
        ON CONFLICT (subject_id, dimension, skill_key, date) DO UPDATE SET
            mean = excluded.mean, lower = excluded.lower, evidence_count = excluded.evidence_count
    """  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [day])
        copied = cursor.rowcount
        distribution_rebuild(day=day)
        return copied


def _bucket_sql(column: str) -> str:
    """The tenth of 0–1 a score falls in (0–9; 1.0 counts in the top tenth)."""
    if connection.vendor == "postgresql":
        return f"LEAST(FLOOR({column} * 10), 9)::int"
    return f"MIN(CAST({column} * 10 AS INTEGER), 9)"  # SQLite: CAST truncates (means are >= 0)


def distribution_rebuild(*, day: date | None = None, organization_id: int | None = None) -> int:
    """Recount ``TrustDistribution`` from the snapshots: of one day (or every day), of one
    workspace (or all). Idempotent; one transaction. Returns how many rows it wrote."""
    distribution, snapshot = TrustDistribution._meta.db_table, TrustSnapshot._meta.db_table
    scope, args = ["1 = 1"], []
    if day is not None:
        scope.append("date = %s")
        args.append(connection.ops.adapt_datefield_value(day))
    if organization_id is not None:
        scope.append("organization_id = %s")
        args.append(organization_id)
    where = " AND ".join(scope)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {distribution} WHERE {where}", args)  # noqa: S608
        cursor.execute(
            f"INSERT INTO {distribution} (organization_id, date, dimension, tenth, scores, mean_sum) "  # noqa: S608
            f"SELECT organization_id, date, dimension, {_bucket_sql('mean')}, COUNT(*), SUM(mean) "
            f"FROM {snapshot} WHERE {where} AND (skill_key = 0 OR dimension = %s) AND evidence_count >= %s "
            "GROUP BY 1, 2, 3, 4",
            [*args, params.COMPETENCE, params.NEWCOMER_EVIDENCE],
        )
        return cursor.rowcount


def live_evidence_counts(user_ids) -> dict[int, int]:
    return dict(
        TrustEvent.objects.live()
        .filter(subject_id__in=list(user_ids))
        .values("subject_id")
        .annotate(n=Count("id"))
        .values_list("subject_id", "n")
    )
