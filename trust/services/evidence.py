"""Recording evidence: the ledger's one way in, with validation and the anti-gaming rules.

``record_evidence`` is the public contract other apps call (through their services,
never views). The anti-gaming rules adjust a rating's effective weight when it is
appended: repeated evidence from the same person (a pair's sources share one budget),
reciprocal praise (and the earlier praise it answers is re-recorded discounted), and
praise inside a closed circle of mutual praise. The numbers are in ``trust.params``.
"""

import math
from collections import defaultdict
from datetime import datetime, timedelta
from numbers import Real

from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.models import Membership, Skill
from core import clock
from core.errors import Conflict, ValidationFailed
from trust import params, sources
from trust.models import TrustEvent
from trust.services.raters import CLUSTER_NOTE, counterpart_evidence, in_suspicious_pattern, rater_factors
from trust.services.recompute import refresh_keys
from trust.services.scheduling import lock_subjects, schedule_recompute
from trust.services.voids import rerecord_damped

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


def _said(event: TrustEvent) -> float:
    """What the counterpart said, before any calibration of their leniency."""
    return event.outcome if event.stated_outcome is None else event.stated_outcome


def _same_fact(event: TrustEvent, *, actor_id, outcome: float) -> bool:
    return event.actor_id == actor_id and abs(_said(event) - outcome) < 1e-9


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
    for the same key raises Conflict. Anti-gaming (a pair's shared budget, reciprocal
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
        stated = None
        notes: list[str] = []
        discounted_pairs: list[TrustEvent] = []
        share, shared, pieces = 1.0, [], 1
        if actor is not None and source_kind != params.VOUCH_SOURCE_KIND:
            defended = _counterpart_defences(
                actor=actor, subject_id=subject.pk, dimension=dimension, moment=moment, key=key,
                weight=weight_value, outcome=outcome_value, calibrate=source.is_rating,
            )  # fmt: skip
            effective, outcome_value, stated, notes, discounted_pairs, (share, shared, pieces) = defended
        try:
            with transaction.atomic():
                event = TrustEvent.objects.create(
                    organization_id=organization_id,
                    subject=subject,
                    actor=actor,
                    dimension=dimension,
                    skill=skill,
                    outcome=outcome_value,
                    stated_outcome=stated,
                    weight=effective,
                    base_weight=weight_value,
                    weight_note="; ".join(notes)[:200],
                    pair_share=share,
                    in_pattern=CLUSTER_NOTE in " ".join(notes),
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
        for earlier in shared:
            _rerecord_share(earlier, share=share, pieces=pieces)
        # the touched keys' tallies (and beliefs) follow the ledger in the same transaction
        refresh_keys(
            {(subject.pk, dimension, key["skill_key"])}
            | {(e.subject_id, e.dimension, e.skill_key) for e in discounted_pairs + shared}
        )
        schedule_recompute(subject.pk)
    return event


# --- the anti-gaming rules --------------------------------------------------------------


def _counterpart_defences(*, actor, subject_id, dimension, moment, key, weight, outcome, calibrate):
    """The defences every piece of evidence with a counterpart goes through, whatever its
    kind (docs/trust.md §4): a pair's shared budget, reciprocal praise, one voice per closed
    group, suspicious patterns, the counterpart's standing, and calibration for their
    leniency. Returns (weight, calibrated outcome, stated outcome or None, notes, earlier
    praise to re-record discounted, (the pair's share, its earlier rows to re-record at that
    share, its pieces)). Notes never name anyone."""
    notes = []
    discounted: list[TrustEvent] = []
    # the group rules guard against trust being bought: praise is what a group can trade; a
    # complaint is against the interest of whoever gives it and is not divided among a group
    favourable = outcome >= params.GOOD_OUTCOME
    around = _neighbourhood(actor_id=actor.pk, subject_id=subject_id, moment=moment)
    earlier = _earlier_pair_pieces(around, actor_id=actor.pk, subject_id=subject_id, dimension=dimension,
                                   moment=moment, key=key)  # fmt: skip
    pieces = 1 + len({(row.source_kind, row.source_id) for row in earlier})
    share = pair_share(pieces)
    if pieces > 1:
        weight *= share
        notes.append(_pair_note(pieces, share))
    # the pair's earlier pieces move to the same share: their rows, re-recorded by the caller
    to_share = [row.id for row in earlier if abs(row.pair_share - share) > 1e-12]
    shared = list(TrustEvent.objects.filter(pk__in=to_share).select_related("skill")) if to_share else []
    if outcome >= params.PRAISE_THRESHOLD:
        # praise the subject gave the actor for the same quality: any kind, any skill
        reverse = [
            row for row in around
            if row.actor_id == subject_id and row.subject_id == actor.pk and row.dimension == dimension
            and row.outcome >= params.PRAISE_THRESHOLD
        ]  # fmt: skip
        # compounding: every exchange beyond what one honest engagement produces multiplies the next
        exchanges = len({(row.source_kind, row.source_id) for row in reverse})
        over = exchanges - params.RECIPROCAL_FREE_EXCHANGES
        if over > 0:
            factor = params.RECIPROCAL_PRAISE_FACTOR**over
            weight *= factor
            notes.append(f"reciprocal praise ({exchanges}×): ×{factor:.3g}")
            pending = [row.id for row in reverse if not row.reciprocal_discounted]
            discounted = (
                list(TrustEvent.objects.filter(pk__in=pending).select_related("skill")) if pending else []
            )
    # the group rules weigh only what speaks in the subject's favour
    inside = in_suspicious_pattern(actor_id=actor.pk, subject_id=subject_id)
    connected = (
        _connected_counterparts(around, actor_id=actor.pk, subject_id=subject_id, independent=not inside)
        if favourable
        else 0
    )
    if connected:
        weight /= 1 + connected
        notes.append(f"one voice with {connected} connected colleagues: ×1/{1 + connected}")
    if favourable and inside:
        weight *= params.CLUSTER_FACTOR
        notes.append(f"inside a suspicious pattern: ×{params.CLUSTER_FACTOR:g}")
    # the counterpart's standing weighs everything they say, praise and complaint alike: a
    # factor on one side only would make a score count complaints instead of estimating a rate
    standing, offset, age_factor = rater_factors(actor, dimension=dimension, moment=moment)
    if not favourable and inside:
        # ... except a complaint inside a pattern about one of its own: a group's standing is low
        # because its praise of itself does not count, and that must not silence the one thing
        # it says against its interest (decision 0018); the account's age still weighs it
        standing = age_factor
    if standing < 1.0:
        weight *= standing
        notes.append(f"new or little-connected account: ×{standing:.2g}")
    stated = None
    if calibrate and abs(offset) >= 0.005:
        stated = outcome
        outcome = round(min(1.0, max(0.0, outcome - offset)), 12)
        notes.append(f"calibrated for a {'lenient' if offset > 0 else 'harsh'} rater: {-offset:+.2f}")
    return max(weight, 1e-9), outcome, stated, notes, discounted, (share, shared, pieces)


def pair_share(pieces: int) -> float:
    """What each of a pair's ``pieces`` sources (one counterpart about one subject, one
    quality, within REPEAT_RATER_WINDOW) weighs: the pair's budget Σ_{k≤n} 1/k² (at most
    π²/6 ≈ 1.64 pieces, however many it trades) shared equally, so damping bounds what a pair
    adds without changing what it says on average (decision 0018)."""
    budget = sum(1.0 / k**params.PAIR_DAMPING_EXPONENT for k in range(1, pieces + 1))
    return budget / pieces


PAIR_NOTE = "from the same person"


def _pair_note(pieces: int, share: float) -> str:
    return f"one of {pieces} pieces {PAIR_NOTE} within 90 days: ×{share:.2g}"


def _neighbourhood(*, actor_id: int, subject_id: int, moment: datetime) -> list:
    """Every live piece of counterpart evidence given or received by either person within the
    window of ``moment`` (all windows are 90 days): one query for all the pair rules."""
    window = max(params.REPEAT_RATER_WINDOW, params.RECIPROCAL_WINDOW, params.CIRCLE_WINDOW)
    people = (actor_id, subject_id)
    return list(
        counterpart_evidence()
        .filter(Q(actor_id__in=people) | Q(subject_id__in=people))
        .filter(occurred_at__gte=moment - window, occurred_at__lte=moment + window)
        .only(
            "id",
            "actor_id",
            "subject_id",
            "dimension",
            "source_kind",
            "source_id",
            "outcome",
            "stated_outcome",
            "occurred_at",
            "reciprocal_discounted",
            "pair_share",
            "weight_note",
        )
    )


def _earlier_pair_pieces(around, *, actor_id, subject_id, dimension, moment, key) -> list:
    """The live rows through which ``actor`` gave evidence about ``subject`` for the same
    quality in the window before ``moment``, whatever their kind and sign: engagements,
    commitments, accepted answers and feedback, praise and complaints all share the pair's
    budget. Rows the nightly damped inside a suspicious pattern are left out: they already
    count a tenth, and a ring's traded praise must not take the weight of a member's honest
    complaint about another."""
    since = moment - params.REPEAT_RATER_WINDOW
    return [
        row
        for row in around
        if row.actor_id == actor_id and row.subject_id == subject_id and row.dimension == dimension
        and since <= row.occurred_at <= moment
        and (row.source_kind, row.source_id) != (key["source_kind"], key["source_id"])
        and CLUSTER_NOTE not in (row.weight_note or "")
    ]  # fmt: skip


def _connected_counterparts(around, *, actor_id: int, subject_id: int, independent: bool = True) -> int:
    """How many other people who gave the subject evidence in the window trade evidence with
    the actor both ways beyond what one engagement produces (more than
    RECIPROCAL_FREE_EXCHANGES sources each way): a group whose members keep vouching for each
    other speaks with one voice (docs/trust.md §4). Two colleagues who once worked together
    and both praise a third are two voices. For an ``independent`` actor (not inside a
    suspicious pattern with the subject), a rater whose word about the subject the nightly
    damped inside a pattern is not one of them: the pattern already counts a tenth, and it does
    not make an independent colleague's praise its echo (decision 0018); a pattern's own
    members still speak as one voice among themselves."""
    raters = {
        row.actor_id
        for row in around
        if row.subject_id == subject_id and not (independent and CLUSTER_NOTE in (row.weight_note or ""))
    } - {actor_id, subject_id}
    given: dict[int, set] = defaultdict(set)
    received: dict[int, set] = defaultdict(set)
    for row in around:
        if row.actor_id == actor_id:
            given[row.subject_id].add((row.source_kind, row.source_id))
        elif row.subject_id == actor_id:
            received[row.actor_id].add((row.source_kind, row.source_id))
    free = params.RECIPROCAL_FREE_EXCHANGES
    return sum(1 for other in raters if len(given[other]) > free and len(received[other]) > free)


def _rerecord_share(event: TrustEvent, *, share: float, pieces: int) -> TrustEvent:
    """An earlier piece of a pair that just added one: void it and append it at the pair's new
    share (the factor is relative to the share it weighed)."""
    return rerecord_damped(
        event,
        factor=share / event.pair_share,
        note=_pair_note(pieces, share),
        reason="The pair added a piece: its budget is shared again",
        pair_share=share,
        replaces=PAIR_NOTE,
    )


def _rerecord_discounted(event: TrustEvent) -> TrustEvent:
    """Reciprocal praise discount for an earlier event: void it and append the discounted copy."""
    return rerecord_damped(
        event,
        factor=params.RECIPROCAL_PRAISE_FACTOR,
        note=f"reciprocal praise: ×{params.RECIPROCAL_PRAISE_FACTOR:g}",
        reason="Reciprocal praise: discounted",
        reciprocal=True,
    )
