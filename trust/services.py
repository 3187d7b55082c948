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
from django.db.models import Count

from accounts.models import AuditEntry, Membership, Skill
from mentoring import clock
from mentoring.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from trust import params, scoring, sources
from trust.models import TrustDispute, TrustEvent, TrustPrior, TrustScore, TrustSnapshot

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
    subject_membership = _active_membership(subject)
    if subject_membership is None:
        raise ValidationFailed(
            "The subject is not an active member of a workspace.",
            fields={"subject": ["Evidence can only be recorded about active members."]},
        )
    organization = subject_membership.organization
    if actor is not None:
        if actor.pk == subject.pk:
            raise ValidationFailed(
                "Nobody can produce evidence about themselves.",
                fields={"actor": ["The actor and the subject are the same person."]},
                code="self_evidence",
            )
        actor_membership = _active_membership(actor)
        if actor_membership is None or actor_membership.organization_id != organization.pk:
            raise ValidationFailed(
                "The actor and the subject are not in the same workspace.",
                fields={
                    "actor": ["Evidence can only come from an active member of the subject's workspace."]
                },
            )
    if skill is not None and skill.organization_id != organization.pk:
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
                reverse = _reciprocal_praise(actor_id=actor_id, subject_id=subject.pk, moment=moment)
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
                    organization=organization,
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
        schedule_recompute(subject.pk)
    return event


def _earlier_ratings(*, actor_id: int, subject_id: int, moment: datetime, key: dict) -> int:
    """Distinct sources through which ``actor`` rated ``subject`` in the window before ``moment``."""
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


def _reciprocal_praise(*, actor_id: int, subject_id: int, moment: datetime) -> list[TrustEvent]:
    """Live praise the subject gave the actor within the window of ``moment``."""
    return list(
        TrustEvent.objects.live()
        .filter(
            actor_id=subject_id,
            subject_id=actor_id,
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
    praise = TrustEvent.objects.live().filter(
        source_kind__in=sources.rating_kinds(),
        outcome__gte=params.PRAISE_THRESHOLD,
        actor_id__isnull=False,
        occurred_at__gte=moment - params.RECIPROCAL_WINDOW,
        occurred_at__lte=moment + params.RECIPROCAL_WINDOW,
    )

    def mutual_partners(person_id: int) -> set[int]:
        praised = set(praise.filter(actor_id=person_id).values_list("subject_id", flat=True))
        if not praised:
            return set()
        return praised & set(praise.filter(subject_id=person_id).values_list("actor_id", flat=True))

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
        return _void(event, reason=reason, voided_by=voided_by)


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
]


def recompute_subject(user_id: int, *, as_of: datetime | None = None) -> int:
    """Rebuild all of one subject's scores from the ledger. Returns the number of scores.

    Idempotent and safe to run concurrently: it holds the subject's lock while it
    reads the ledger and upserts, and every run computes the whole state."""
    as_of = as_of or clock.now()
    with transaction.atomic():
        lock_subjects(user_id)
        rows = list(
            TrustEvent.objects.live()
            .filter(subject_id=user_id)
            .values_list(
                "organization_id", "dimension", "skill_key", "outcome", "weight", "occurred_at", "actor_id"
            )
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
                    )
                )
            TrustScore.objects.bulk_create(
                scores,
                update_conflicts=True,
                unique_fields=["subject", "dimension", "skill_key"],
                update_fields=_SCORE_FIELDS,
            )
        stale = TrustScore.objects.filter(subject_id=user_id)
        keep = {(s.dimension, s.skill_key) for s in scores}
        for pk, dimension, skill_key in stale.values_list("pk", "dimension", "skill_key"):
            if (dimension, skill_key) not in keep:
                TrustScore.objects.filter(pk=pk).delete()
    return len(scores)


def _aggregate_sql(*, vendor: str, organization_id: int | None) -> str:
    event = TrustEvent._meta.db_table
    half_life = (
        "CASE e.dimension "
        + " ".join(f"WHEN '{dimension}' THEN {days!r}" for dimension, days in params.HALF_LIFE_DAYS.items())
        + " END"
    )
    if vendor == "postgresql":
        # date_part (float8), not EXTRACT (numeric since PostgreSQL 14): numeric math is slow
        age = "GREATEST(date_part('epoch', %(as_of)s::timestamptz - e.occurred_at) / 86400.0, 0.0)"
        two = "2.0::float8"
    else:
        age = "MAX(julianday(%(as_of)s) - julianday(e.occurred_at), 0.0)"
        two = "2.0"
    decay = f"POWER({two}, -({age}) / ({half_life}))"
    where = "" if organization_id is None else "AND e.organization_id = %(org)s"
    # Two-level aggregation: (key, actor) first, then key; counting distinct raters
    # this way stays a hash aggregate instead of a sort per group. The void set is
    # small: NOT IN over it is a hashed sub-plan, one probe per ledger row.
    # Identifiers come from model metadata and params, every value is a query parameter.
    return f"""
        SELECT organization_id, subject_id, dimension, skill_key,
               SUM(good), SUM(bad), SUM(n), COUNT(actor_id), MAX(last_at)
        FROM (
            SELECT e.organization_id, e.subject_id, e.dimension, e.skill_key, e.actor_id,
                   SUM(e.weight * e.outcome * {decay}) AS good,
                   SUM(e.weight * (1.0 - e.outcome) * {decay}) AS bad,
                   COUNT(*) AS n,
                   MAX(e.occurred_at) AS last_at
            FROM {event} e
            WHERE e.voids_id IS NULL
              AND e.id NOT IN (SELECT v.voids_id FROM {event} v WHERE v.voids_id IS NOT NULL)
              {where}
            GROUP BY e.organization_id, e.subject_id, e.dimension, e.skill_key, e.actor_id
        ) per_actor
        GROUP BY organization_id, subject_id, dimension, skill_key
    """  # noqa: S608


def aggregate_ledger(*, as_of: datetime, organization_id: int | None = None) -> list[tuple]:
    """One GROUP BY over the live ledger, decay in SQL:
    (org, subject, dimension, skill_key, good, bad, count, distinct raters, last)."""
    sql = _aggregate_sql(vendor=connection.vendor, organization_id=organization_id)
    moment = as_of
    if connection.vendor != "postgresql":
        # SQLite stores naive UTC text; julianday() wants the same shape.
        moment = as_of.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
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
    """Swift-trust priors: the decayed workspace mean per (workspace, dimension)."""
    for (org_id, dimension), (good, total) in totals.items():
        TrustPrior.objects.update_or_create(
            organization_id=org_id,
            dimension=dimension,
            defaults={"mean": scoring.workspace_mean(good, total), "evidence": total, "computed_at": as_of},
        )


def recompute_all(*, organization_id: int | None = None, as_of: datetime | None = None) -> int:
    """Nightly, set-based: refresh workspace priors and every score from one GROUP BY.

    No per-person queries. On PostgreSQL the aggregate stays in the database (a
    temporary table); only two float arrays (alpha, beta) travel to Python for
    the vectorized Beta quantiles and two come back, then one INSERT … ON
    CONFLICT DO UPDATE writes every score. Rows whose evidence disappeared (all
    voided) are deleted. A per-subject recompute that finished later than
    ``as_of`` is not overwritten. Returns the number of scores written."""
    as_of = as_of or clock.now()
    if connection.vendor == "postgresql":
        count = _recompute_all_postgres(as_of=as_of, organization_id=organization_id)
    else:
        count = _recompute_all_portable(as_of=as_of, organization_id=organization_id)
    stale = TrustScore.objects.filter(computed_at__lt=as_of)
    if organization_id is not None:
        stale = stale.filter(organization_id=organization_id)
    stale.delete()
    return count


def _float_csv(values: np.ndarray) -> str:
    # repr() round-trips a float exactly; PostgreSQL parses the list in C.
    return ",".join(map(repr, values.tolist()))


def _recompute_all_postgres(*, as_of: datetime, organization_id: int | None) -> int:
    score = TrustScore._meta.db_table
    prior = TrustPrior._meta.db_table
    aggregate = _aggregate_sql(vendor="postgresql", organization_id=organization_id)
    low, high = params.PRIOR_MEAN_BOUNDS
    mu = f"LEAST(GREATEST(COALESCE(p.mean, {params.DEFAULT_PRIOR_MEAN!r}), {low!r}), {high!r})"
    m = repr(params.PRIOR_STRENGTH)
    with transaction.atomic(), connection.cursor() as cursor:
        # A batch job: enough memory for the hash aggregates not to spill, and no JIT
        # (compiling the plan costs more than it saves at this size).
        cursor.execute(f"SET LOCAL work_mem = '{params.RECOMPUTE_WORK_MEM}'")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            """
            CREATE TEMPORARY TABLE trust_recompute_agg (
                rid bigint GENERATED ALWAYS AS IDENTITY, organization_id bigint, subject_id bigint,
                dimension varchar(20), skill_key bigint, good float8, bad float8, n int, raters int,
                last_at timestamptz
            ) ON COMMIT DROP
            """
        )
        cursor.execute(
            "INSERT INTO trust_recompute_agg (organization_id, subject_id, dimension, skill_key, good, bad, "
            f"n, raters, last_at) {aggregate}",
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
        if not count:
            return 0
        alpha = np.array(alpha_csv.split(","), dtype=np.float64)
        beta = np.array(beta_csv.split(","), dtype=np.float64)
        lower, upper = scoring.quantiles(alpha, beta)
        # MERGE joins the new rows to the scores in one hash join (no per-row conflict
        # probe); the updated columns are not indexed, so updates stay HOT.
        cursor.execute(
            f"""
            MERGE INTO {score} s
            USING (
                SELECT t.*, {m} * {mu} + t.good AS a, {m} * (1.0 - {mu}) + t.bad AS b, q.lo, q.up
                FROM trust_recompute_agg t
                LEFT JOIN {prior} p ON p.organization_id = t.organization_id AND p.dimension = t.dimension
                JOIN unnest(string_to_array(%(lower)s, ',')::float8[],
                            string_to_array(%(upper)s, ',')::float8[]) WITH ORDINALITY AS q(lo, up, rid)
                     ON q.rid = t.rid
            ) n
            ON s.subject_id = n.subject_id AND s.dimension = n.dimension AND s.skill_key = n.skill_key
            WHEN MATCHED AND s.computed_at <= %(as_of)s THEN UPDATE SET
                organization_id = n.organization_id, alpha = n.a, beta = n.b, mean = n.a / (n.a + n.b),
                lower = n.lo, upper = n.up, evidence_weight = n.good + n.bad, evidence_count = n.n,
                distinct_raters = n.raters, last_evidence_at = n.last_at, computed_at = %(as_of)s
            WHEN NOT MATCHED THEN INSERT (organization_id, subject_id, dimension, skill_id, skill_key, alpha,
                beta, mean, lower, upper, evidence_weight, evidence_count, distinct_raters, last_evidence_at,
                computed_at)
            VALUES (n.organization_id, n.subject_id, n.dimension, NULLIF(n.skill_key, 0), n.skill_key, n.a,
                n.b, n.a / (n.a + n.b), n.lo, n.up, n.good + n.bad, n.n, n.raters, n.last_at, %(as_of)s)
            """,  # noqa: S608 (identifiers from model metadata and params; values are parameters)
            {"as_of": as_of, "lower": _float_csv(lower), "upper": _float_csv(upper)},
        )
        return count


def _recompute_all_portable(*, as_of: datetime, organization_id: int | None) -> int:
    """SQLite (development, tests): the same aggregate, fetched; the same upsert through the ORM."""
    rows = aggregate_ledger(as_of=as_of, organization_id=organization_id)
    totals: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for org_id, _subject, dimension, _skill, good, bad, *_ in rows:
        acc = totals[(org_id, dimension)]
        acc[0] += good
        acc[1] += good + bad
    with transaction.atomic():
        _refresh_priors(totals, as_of=as_of)
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
    mu = np.asarray(
        [priors.get((o, d), params.DEFAULT_PRIOR_MEAN) for o, d in zip(org_ids, dimensions, strict=True)]
    )
    low, high = params.PRIOR_MEAN_BOUNDS
    mu = np.clip(mu, low, high)
    alpha = params.PRIOR_STRENGTH * mu + good
    beta = params.PRIOR_STRENGTH * (1.0 - mu) + bad
    lower, upper = scoring.quantiles(alpha, beta)
    mean = alpha / (alpha + beta)
    objs = [
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
            last_evidence_at=_parse_dt(columns[8][i]),
            computed_at=as_of,
        )
        for i in range(len(rows))
    ]
    with transaction.atomic():
        TrustScore.objects.bulk_create(
            objs,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["subject", "dimension", "skill_key"],
            update_fields=_SCORE_FIELDS,
        )
    return len(rows)


def snapshot_daily(*, day: date | None = None) -> int:
    """Copy every current score into that day's snapshot (set-based; re-running the day overwrites)."""
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
        return cursor.rowcount


def live_evidence_counts(user_ids) -> dict[int, int]:
    return dict(
        TrustEvent.objects.live()
        .filter(subject_id__in=list(user_ids))
        .values("subject_id")
        .annotate(n=Count("id"))
        .values_list("subject_id", "n")
    )
