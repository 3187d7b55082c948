"""Program writes for talent managers behind /manage/programs/ (docs/programs.md,
"Programs and cohorts UI"): creating and changing programs and enrolling people.

Every function takes the acting manager's ``Membership`` (the views get it from
``accounts.access.talent_manager_required``) and only ever touches that workspace: a
program or participant of another workspace is the same ``NotFound`` as a missing
one. Every write, and every page a manager opens, leaves one audit row
(``program_audit``, through ``accounts.audit.audit_record``) in the write's transaction.

- Programs: ``program_create`` / ``program_update`` validate kind, dates, default
  duration and the matching rules (``min_level`` and the factor ``weights`` that
  ``mentoring.programs.fit`` reads).
- Participants: ``participant_add`` / ``participant_remove``; a whole CSV of them is
  ``mentoring.programs.csv_import``.
- Cohort drafts are ``mentoring.programs.drafts``; the reads ``mentoring.programs.selectors``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction

from accounts.audit import audit_record
from accounts.models import AuditEntry, Membership
from core import clock
from core.errors import NotFound, ValidationFailed
from mentoring.engagements import matching_params as mp
from mentoring.models import (
    DEFAULT_DURATION_DAYS,
    MAX_DURATION_DAYS,
    EngagementKind,
    Program,
    ProgramParticipant,
)
from mentoring.programs.fit import MAX_FACTOR_WEIGHT

FACTORS = tuple(mp.WEIGHTS.as_dict())


# --- audit -------------------------------------------------------------------------------------------


def program_audit(
    membership: Membership, actor, *, action: str, program: Program | None = None, **details
) -> AuditEntry:
    """One audit row (who, what, when) for a program page or action of ``membership``'s workspace."""
    return audit_record(
        organization_id=membership.organization_id,
        actor=actor,
        action=action,
        target=program,
        target_type="" if program is not None else "dashboard",
        details=details,
    )


# --- programs ----------------------------------------------------------------------------------------


@dataclass
class ProgramFields:
    """What a program form gives a service, already typed (the form parses, the service decides)."""

    name: str
    kind: str
    description: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    default_duration_days: int | None = None
    min_level: int = 1
    weights: dict[str, float] = field(default_factory=mp.WEIGHTS.as_dict)


def _program_errors(membership: Membership, data: ProgramFields, *, program: Program | None) -> dict:
    errors: dict[str, list[str]] = {}
    name = " ".join((data.name or "").split())
    if not name:
        errors["name"] = ["Give the program a name."]
    elif len(name) > 120:
        errors["name"] = ["Keep the name to 120 characters."]
    elif (
        Program.objects.filter(organization_id=membership.organization_id, name__iexact=name)
        .exclude(pk=getattr(program, "pk", None))
        .exists()
    ):
        errors["name"] = ["Another program of this workspace has that name; choose another."]
    if data.kind not in EngagementKind.values:
        errors["kind"] = [f"Choose one of: {', '.join(EngagementKind.values)}."]
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        errors["ends_on"] = ["The program cannot end before it starts; pick a later end date."]
    days = data.default_duration_days
    if "kind" not in errors:
        limit = MAX_DURATION_DAYS[EngagementKind(data.kind)]
        if days is not None and not 1 <= days <= limit:
            errors["default_duration_days"] = [
                f"A {data.kind} engagement lasts 1 to {limit} days; pick a duration in that range."
            ]
    if len(data.description or "") > 5000:
        errors["description"] = ["Keep the description to 5,000 characters."]
    if (
        isinstance(data.min_level, bool)
        or not isinstance(data.min_level, int)
        or not 1 <= data.min_level <= 5
    ):
        errors["min_level"] = ["The lowest expertise level must be a whole number from 1 to 5."]
    for key in FACTORS:
        value = data.weights.get(key)
        if value is None or not 0 <= value <= MAX_FACTOR_WEIGHT:
            errors[f"weight_{key}"] = [f"Give a weight from 0 to {MAX_FACTOR_WEIGHT:g}."]
    unknown = set(data.weights) - set(FACTORS)
    if unknown:
        errors["weights"] = [f"Unknown factors: {', '.join(sorted(unknown))}."]
    if not any(k.startswith("weight_") for k in errors) and not unknown and sum(data.weights.values()) <= 0:
        errors["weights"] = ["At least one factor needs a weight above 0, or no pair could be scored."]
    return errors


def _apply(program: Program, data: ProgramFields) -> None:
    program.name = " ".join(data.name.split())
    program.kind = data.kind
    program.description = data.description or ""
    program.starts_on = data.starts_on
    program.ends_on = data.ends_on
    program.default_duration_days = (
        data.default_duration_days or DEFAULT_DURATION_DAYS[EngagementKind(data.kind)]
    )
    rules = dict(program.matching_rules) if isinstance(program.matching_rules, dict) else {}
    rules["min_level"] = data.min_level
    rules["weights"] = {key: round(float(data.weights[key]), 4) for key in FACTORS}
    program.matching_rules = rules


def program_create(membership: Membership, actor, data: ProgramFields) -> Program:
    """Create a program of the manager's workspace. ValidationFailed names each bad field
    (name taken, end before start, duration out of the kind's range, weights)."""
    errors = _program_errors(membership, data, program=None)
    if errors:
        raise ValidationFailed("The program could not be saved; fix the fields marked.", fields=errors)
    program = Program(organization_id=membership.organization_id, created_by=actor, created_at=clock.now())
    _apply(program, data)
    try:
        with transaction.atomic():
            program.save()
            program_audit(membership, actor, action="program.created", program=program, name=program.name)
    except IntegrityError:  # the same name saved by someone else a moment ago
        raise ValidationFailed(
            "The program could not be saved.",
            fields={"name": ["Another program of this workspace has that name; choose another."]},
        ) from None
    return program


def program_update(membership: Membership, actor, program: Program, data: ProgramFields) -> Program:
    """Change a program (of the manager's workspace, checked by the caller through
    ``access_program``). Same validation as ``program_create``."""
    errors = _program_errors(membership, data, program=program)
    if errors:
        raise ValidationFailed("The program could not be saved; fix the fields marked.", fields=errors)
    _apply(program, data)
    try:
        with transaction.atomic():
            program.save()
            program_audit(membership, actor, action="program.updated", program=program, name=program.name)
    except IntegrityError:
        raise ValidationFailed(
            "The program could not be saved.",
            fields={"name": ["Another program of this workspace has that name; choose another."]},
        ) from None
    return program


def program_fields(program: Program) -> ProgramFields:
    """A program's current values, for the edit form."""
    rules = program.matching_rules if isinstance(program.matching_rules, dict) else {}
    weights = mp.WEIGHTS.as_dict()
    if isinstance(rules.get("weights"), dict):
        weights.update({k: v for k, v in rules["weights"].items() if k in weights})
    return ProgramFields(
        name=program.name,
        kind=program.kind,
        description=program.description,
        starts_on=program.starts_on,
        ends_on=program.ends_on,
        default_duration_days=program.default_duration_days,
        min_level=rules.get("min_level", 1),
        weights=weights,
    )


# --- participants ------------------------------------------------------------------------------------


def parse_role(value) -> str | None:
    """``mentor`` or ``seeker`` from what a person typed (any case), else None."""
    value = (value or "").strip().lower()
    return value if value in ProgramParticipant.Role.values else None


def participant_add(membership: Membership, actor, program: Program, *, user_id, role) -> ProgramParticipant:
    """Enrol an active member of the workspace as mentor or seeker. Someone outside the
    workspace is "no such member" (NotFound); someone already enrolled is a 400."""
    checked_role = parse_role(role)
    if checked_role is None:
        raise ValidationFailed("Choose a role.", fields={"role": ["The role must be mentor or seeker."]})
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        raise NotFound("No such member in this workspace.") from None
    person = (
        Membership.objects.filter(
            organization_id=membership.organization_id, user_id=user_id, is_active=True, user__is_active=True
        )
        .select_related("user")
        .first()
    )
    if person is None:
        raise NotFound("No such member in this workspace.")
    with transaction.atomic():
        existing = ProgramParticipant.objects.filter(program=program, user_id=user_id).first()
        if existing is not None:
            raise ValidationFailed(
                f"{person.user.display_name} is already in the program as {existing.role}.",
                fields={"user": ["Remove them first to change their role."]},
            )
        try:
            with transaction.atomic():
                participant = ProgramParticipant.objects.create(
                    program=program, user_id=user_id, role=checked_role, joined_at=clock.now()
                )
        except IntegrityError:
            raise ValidationFailed(
                f"{person.user.display_name} is already in the program.",
                fields={"user": ["Someone enrolled them a moment ago."]},
            ) from None
        program_audit(
            membership,
            actor,
            action="program.participant_added",
            program=program,
            user=user_id,
            role=checked_role,
        )
    return participant


def participant_remove(membership: Membership, actor, program: Program, *, participant_id) -> None:
    """Take someone out of the program (their engagements stay). NotFound when the row is
    not of this program."""
    try:
        participant_id = int(participant_id)
    except (TypeError, ValueError):
        raise NotFound("No such participant in this program.") from None
    with transaction.atomic():
        participant = ProgramParticipant.objects.filter(pk=participant_id, program=program).first()
        if participant is None:
            raise NotFound("No such participant in this program.")
        participant.delete()
        program_audit(
            membership,
            actor,
            action="program.participant_removed",
            program=program,
            user=participant.user_id,
            role=participant.role,
        )
