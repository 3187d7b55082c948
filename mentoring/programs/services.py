"""Programs and cohorts for talent managers: the services (writes) and selectors (reads)
behind /manage/programs/ (docs/matching.md, "Programs and cohorts UI").

Every function takes the acting manager's ``Membership`` (from
``dashboard.overview.require_manager``) and only ever touches that workspace: a
program, participant or draft of another workspace is the same ``NotFound`` as a
missing one. Every write, and every page a manager opens, leaves one ``AuditEntry``
(``program_audit``).

- Programs: ``program_create`` / ``program_update`` validate kind, dates, default
  duration and the matching rules (``min_level`` and the factor ``weights`` that
  ``mentoring.programs.cohorts`` reads).
- Participants: ``participant_add`` / ``participant_remove`` and
  ``participants_import_csv`` — the whole file is checked first and either every
  row is enrolled or none (per-row errors otherwise).
- KPIs: ``program_kpis`` computes the figures of many programs in a fixed number
  of queries (the list page pins it).
- Cohort drafts: ``draft_run`` stores the optimal assignment of ``cohort_assign``
  as a ``CohortDraft``; ``draft_view`` rescores it against today's data;
  ``draft_reassign`` / ``draft_swap`` adjust it under optimistic locking
  (``version``); ``draft_publish`` checks capacities (naming the mentor who lost
  room) and hands the pairs to ``cohort_save``.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Lower

from accounts.models import AuditEntry, Membership, User
from core import clock
from core.errors import Conflict, NotFound, ValidationFailed
from mentoring.engagements import matching_params as mp
from mentoring.models import (
    MAX_DURATION_DAYS,
    CohortDraft,
    Commitment,
    Engagement,
    EngagementKind,
    Feedback,
    Participant,
    Program,
    ProgramParticipant,
)
from mentoring.programs import cohorts as cohort

# CSV upload limits: checked before anything is parsed (size) and while reading (rows).
CSV_MAX_BYTES = 1_000_000
CSV_MAX_ROWS = 5_000
CSV_COLUMNS = ("email", "role")
# Errors listed on the page; the rest are counted ("and 12 more").
CSV_MAX_ERRORS_SHOWN = 50
PARTICIPANTS_PER_PAGE = 50
PROGRAMS_PER_PAGE = 25
FACTORS = tuple(mp.WEIGHTS.as_dict())


# --- audit -------------------------------------------------------------------------------------------


def program_audit(
    membership: Membership, actor, *, action: str, program: Program | None = None, **details
) -> AuditEntry:
    """One audit row (who, what, when) for a program page or action of ``membership``'s workspace."""
    return AuditEntry.objects.create(
        organization_id=membership.organization_id,
        actor=actor,
        action=action,
        target_type="program" if program is not None else "dashboard",
        target_id=str(program.pk) if program is not None else "",
        details=details,
    )


# --- programs ----------------------------------------------------------------------------------------


def access_program(membership: Membership, program_id) -> Program:
    """A program of the manager's workspace; one ``NotFound`` for missing and elsewhere."""
    try:
        program_id = int(program_id)
    except (TypeError, ValueError):
        raise NotFound("No such program in this workspace.") from None
    program = (
        Program.objects.select_related("organization")
        .filter(pk=program_id, organization_id=membership.organization_id)
        .first()
    )
    if program is None:
        raise NotFound("No such program in this workspace.")
    return program


def program_list(membership: Membership) -> QuerySet[Program]:
    """The workspace's programs, newest first (``program_kpis`` adds the figures per page)."""
    return Program.objects.filter(organization_id=membership.organization_id).order_by("-created_at", "-id")


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
        if value is None or not 0 <= value <= cohort.MAX_FACTOR_WEIGHT:
            errors[f"weight_{key}"] = [f"Give a weight from 0 to {cohort.MAX_FACTOR_WEIGHT:g}."]
    unknown = set(data.weights) - set(FACTORS)
    if unknown:
        errors["weights"] = [f"Unknown factors: {', '.join(sorted(unknown))}."]
    if not any(k.startswith("weight_") for k in errors) and not unknown and sum(data.weights.values()) <= 0:
        errors["weights"] = ["At least one factor needs a weight above 0, or no pair could be scored."]
    return errors


def _apply(program: Program, data: ProgramFields) -> None:
    from mentoring.models import DEFAULT_DURATION_DAYS

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


# --- KPIs --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramKpis:
    """Figures of one program, all time. ``None`` = no data (shown as a dash, never 0)."""

    mentors: int = 0
    seekers: int = 0
    engagements: int = 0
    active: int = 0
    completed: int = 0
    commitments_kept_rate: float | None = None
    feedback_average: float | None = None
    feedback_count: int = 0
    median_hours_to_first_answer: float | None = None

    @property
    def participants(self) -> int:
        return self.mentors + self.seekers


def program_kpis(programs: list[Program]) -> dict[int, ProgramKpis]:
    """KPIs per program id for ``programs`` (all of one workspace, checked by the caller):

    - participants: enrolled mentors and seekers;
    - engagements of the program, and how many are active / completed now;
    - commitments kept rate: kept / (kept + missed) over the program's engagements
      (open and released ones do not count);
    - feedback average: mean of every competence and responsiveness rating (1–5)
      given in the program's engagements;
    - median hours to first answer: per engagement, from its start to the first
      message a mentor of it wrote in its chat (``ChatFirstReply``, metadata only),
      median over the engagements that have one.

    Five queries whatever the number of programs."""
    ids = [p.pk for p in programs]
    if not ids:
        return {}
    people = {
        (row["program_id"], row["role"]): row["n"]
        for row in ProgramParticipant.objects.filter(program_id__in=ids)
        .order_by()
        .values("program_id", "role")
        .annotate(n=Count("id"))
    }
    engagements = {
        row["program_id"]: row
        for row in Engagement.objects.filter(program_id__in=ids)
        .order_by()
        .values("program_id")
        .annotate(
            n=Count("id"),
            active=Count("id", filter=Q(state=Engagement.State.ACTIVE)),
            completed=Count("id", filter=Q(state=Engagement.State.COMPLETED)),
        )
    }
    commitments = {
        row["engagement__program_id"]: row
        for row in Commitment.objects.filter(engagement__program_id__in=ids)
        .order_by()
        .values("engagement__program_id")
        .annotate(
            kept=Count("id", filter=Q(state=Commitment.State.KEPT)),
            missed=Count("id", filter=Q(state=Commitment.State.MISSED)),
        )
    }
    feedback = {
        row["engagement__program_id"]: row
        for row in Feedback.objects.filter(engagement__program_id__in=ids)
        .order_by()
        .values("engagement__program_id")
        .annotate(n=Count("id"), competence=Sum("competence"), responsiveness=Sum("responsiveness"))
    }
    # the first mentor message of each engagement's chat, from the rollup message_send keeps
    # (``messaging.chat.activity``: the same definition as the overview's time to first answer)
    waits: dict[int, list[timedelta]] = {}
    for program_id, starts_at, answered_at in (
        Engagement.objects.filter(program_id__in=ids, chat_first_reply__isnull=False)
        .order_by()
        .values_list("program_id", "starts_at", "chat_first_reply__replied_at")
    ):
        waits.setdefault(program_id, []).append(answered_at - starts_at)
    result = {}
    for pk in ids:
        e = engagements.get(pk, {})
        c = commitments.get(pk, {})
        f = feedback.get(pk)
        decided = c.get("kept", 0) + c.get("missed", 0)
        w = waits.get(pk)
        result[pk] = ProgramKpis(
            mentors=people.get((pk, ProgramParticipant.Role.MENTOR), 0),
            seekers=people.get((pk, ProgramParticipant.Role.SEEKER), 0),
            engagements=e.get("n", 0),
            active=e.get("active", 0),
            completed=e.get("completed", 0),
            commitments_kept_rate=round(c["kept"] / decided, 4) if decided else None,
            feedback_average=(
                round((f["competence"] + f["responsiveness"]) / (2 * f["n"]), 2) if f and f["n"] else None
            ),
            feedback_count=f["n"] if f else 0,
            median_hours_to_first_answer=(
                round(statistics.median(x.total_seconds() for x in w) / 3600, 2) if w else None
            ),
        )
    return result


# --- participants ------------------------------------------------------------------------------------


def participant_list(program: Program) -> QuerySet[ProgramParticipant]:
    """The program's participants with their user, mentors first, then by name."""
    return (
        ProgramParticipant.objects.filter(program=program)
        .select_related("user")
        .order_by("role", "user__full_name", "user__email", "id")
    )


def member_candidates(membership: Membership, actor, program: Program, q: str, *, limit: int = 20) -> list:
    """Up to ``limit`` active members of the workspace matching ``q`` (the directory search:
    name, headline, bio, skills), each as (user, role in the program or None)."""
    from accounts.selectors.profiles import directory_profiles

    term = " ".join((q or "").split())[:100]
    if not term:
        return []
    profiles = list(directory_profiles(actor, q=term).prefetch_related(None)[:limit])
    roles = dict(
        ProgramParticipant.objects.filter(
            program=program, user_id__in=[p.user_id for p in profiles]
        ).values_list("user_id", "role")
    )
    return [(p.user, roles.get(p.user_id)) for p in profiles]


def _role(value) -> str | None:
    value = (value or "").strip().lower()
    return value if value in ProgramParticipant.Role.values else None


def participant_add(membership: Membership, actor, program: Program, *, user_id, role) -> ProgramParticipant:
    """Enrol an active member of the workspace as mentor or seeker. Someone outside the
    workspace is "no such member" (NotFound); someone already enrolled is a 400."""
    checked_role = _role(role)
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


@dataclass
class CsvResult:
    imported: int
    mentors: int
    seekers: int


def _csv_fail(errors: list[str]) -> ValidationFailed:
    shown = errors[:CSV_MAX_ERRORS_SHOWN]
    if len(errors) > len(shown):
        shown.append(f"… and {len(errors) - len(shown)} more problem(s).")
    return ValidationFailed(
        f"Nothing was imported: the file has {len(errors)} problem(s). Fix them and upload it again.",
        fields={"file": shown},
    )


def participants_import_csv(membership: Membership, actor, program: Program, upload) -> CsvResult:
    """Enrol everyone listed in a CSV (``email,role`` with a header line; role mentor or
    seeker), all or nothing.

    The whole file is checked before anything is written: size (``CSV_MAX_BYTES``),
    text encoding (UTF-8, a BOM allowed), the header, the number of rows
    (``CSV_MAX_ROWS``), each row's e-mail and role, duplicates within the file and
    against people already enrolled, and that each e-mail belongs to an active member
    of this workspace — anyone else, including members of other workspaces, gets the
    same "no member with e-mail" line, so the upload cannot probe who exists. Any
    problem raises ValidationFailed on ``file`` with one line per row ("row 7: ...";
    the header is row 1) and nothing is enrolled. Otherwise every row is enrolled in
    one transaction (bulk insert) and one audit row is written."""
    size = getattr(upload, "size", None)
    if size is not None and size > CSV_MAX_BYTES:
        raise _csv_fail(
            [f"The file is {size:,} bytes; the limit is {CSV_MAX_BYTES:,}. Split it into smaller files."]
        )
    raw = upload.read(CSV_MAX_BYTES + 1)
    if len(raw) > CSV_MAX_BYTES:
        raise _csv_fail([f"The file is larger than {CSV_MAX_BYTES:,} bytes. Split it into smaller files."])
    if not raw.strip():
        raise _csv_fail(["The file is empty. The first line must be the header: email,role"])
    if b"\x00" in raw:
        raise _csv_fail(
            ["This is not a text file. Save the list as CSV (UTF-8) with the columns email,role."]
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _csv_fail(
            [
                f"The file is not UTF-8 text (bad byte at position {exc.start}). "
                "Save it as “CSV UTF-8” and upload it again."
            ]
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise _csv_fail(["The first line must be the header: email,role"]) from None
    columns = [c.strip().lower() for c in header]
    missing = [c for c in CSV_COLUMNS if c not in columns]
    extra = [c for c in columns if c not in CSV_COLUMNS]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if missing or extra or duplicated:
        problems = []
        if missing:
            problems.append(f"row 1: the header lacks the column(s) {', '.join(missing)}.")
        if extra:
            problems.append(f"row 1: unexpected column(s) {', '.join(repr(c) for c in extra)}.")
        if duplicated:
            problems.append(f"row 1: the column(s) {', '.join(duplicated)} appear twice.")
        problems.append("The header must be exactly: email,role")
        raise _csv_fail(problems)
    at_email, at_role = columns.index("email"), columns.index("role")

    errors: list[str] = []
    rows: list[tuple[int, str, str]] = []  # (row number, e-mail, role)
    seen: dict[str, int] = {}
    try:
        for number, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue  # blank lines are not rows
            if len(rows) >= CSV_MAX_ROWS:
                raise _csv_fail(
                    [f"The file has more than {CSV_MAX_ROWS:,} rows. Split it into smaller files."]
                )
            if len(record) != len(columns):
                errors.append(
                    f"row {number}: expected {len(columns)} values (email,role), found {len(record)}."
                )
                continue
            email = record[at_email].strip().lower()
            role = record[at_role].strip()
            problem = False
            try:
                validate_email(email)
            except DjangoValidationError:
                errors.append(f"row {number}: “{_shorten(record[at_email])}” is not an e-mail address.")
                problem = True
            if _role(role) is None:
                errors.append(f"row {number}: the role must be mentor or seeker, not “{_shorten(role)}”.")
                problem = True
            if problem:
                continue
            if email in seen:
                errors.append(f"row {number}: {email} is already on row {seen[email]}.")
                continue
            seen[email] = number
            rows.append((number, email, _role(role)))
    except csv.Error as exc:
        errors.append(f"row {reader.line_num}: the line cannot be read as CSV ({exc}).")

    members = dict(
        Membership.objects.filter(
            organization_id=program.organization_id, is_active=True, user__is_active=True
        )
        .annotate(lower_email=Lower("user__email"))
        .filter(lower_email__in=[e for _n, e, _r in rows])
        .values_list("lower_email", "user_id")
    )
    enrolled = dict(
        ProgramParticipant.objects.filter(program=program, user_id__in=list(members.values())).values_list(
            "user_id", "role"
        )
    )
    for number, email, _role_value in rows:
        user_id = members.get(email)
        if user_id is None:
            errors.append(f"row {number}: no member with e-mail {email} in this workspace.")
        elif user_id in enrolled:
            errors.append(f"row {number}: {email} is already in the program as {enrolled[user_id]}.")
    if not rows and not errors:
        errors.append("The file has a header but no rows. Add one line per person: email,role")
    if errors:
        errors.sort(key=_row_number)
        raise _csv_fail(errors)
    moment = clock.now()
    try:
        with transaction.atomic():
            ProgramParticipant.objects.bulk_create(
                [
                    ProgramParticipant(program=program, user_id=members[email], role=role, joined_at=moment)
                    for _n, email, role in rows
                ]
            )
            result = CsvResult(
                imported=len(rows),
                mentors=sum(1 for *_x, r in rows if r == ProgramParticipant.Role.MENTOR),
                seekers=sum(1 for *_x, r in rows if r == ProgramParticipant.Role.SEEKER),
            )
            program_audit(
                membership,
                actor,
                action="program.participants_imported",
                program=program,
                imported=result.imported,
                mentors=result.mentors,
                seekers=result.seekers,
            )
    except IntegrityError:  # someone enrolled one of them meanwhile
        raise _csv_fail(
            ["Someone in the file was enrolled by someone else meanwhile; upload the file again."]
        ) from None
    return result


def _shorten(text: str, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _row_number(message: str) -> int:
    if message.startswith("row "):
        head = message[4:].split(":", 1)[0]
        if head.isdigit():
            return int(head)
    return 0


# --- cohort drafts -----------------------------------------------------------------------------------


def open_draft(program: Program) -> CohortDraft | None:
    """The program's draft being adjusted, if any (its ``program`` is the one given)."""
    draft = CohortDraft.objects.filter(program=program, state=CohortDraft.State.DRAFT).first()
    if draft is not None:
        draft.program = program
    return draft


def access_draft(program: Program, draft_id) -> CohortDraft:
    try:
        draft_id = int(draft_id)
    except (TypeError, ValueError):
        raise NotFound("No such cohort for this program.") from None
    draft = CohortDraft.objects.filter(pk=draft_id, program=program).first()
    if draft is None:
        raise NotFound("No such cohort for this program.")
    draft.program = program
    return draft


def _summary(assignment: cohort.Assignment) -> dict:
    fits = [f for _s, _m, f in assignment.pairs]
    return {
        "matched": assignment.matched,
        "total_fit": round(assignment.total_fit, 4),
        "min_fit": round(min(fits), 4) if fits else None,
        "mean_fit": round(assignment.mean_fit, 4),
    }


def draft_run(membership: Membership, actor, program: Program) -> CohortDraft:
    """Run the optimal cohort assignment for the program's participants and keep it as
    the program's open draft (replacing an older open draft). Talent managers only; a
    group program is a 400 (``cohort_assign``)."""
    preview = cohort.cohort_assign(actor=actor, program=program)
    moment = clock.now()
    with transaction.atomic():
        Program.objects.select_for_update().filter(pk=program.pk).first()  # one run at a time per program
        CohortDraft.objects.filter(program=program, state=CohortDraft.State.DRAFT).delete()
        draft = CohortDraft.objects.create(
            program=program,
            pairs=[{"seeker": p.seeker.pk, "mentor": p.mentor.pk} for p in preview.pairs],
            summary={
                "optimal": _summary(preview.optimal),
                "greedy": _summary(preview.greedy),
                "seekers": len(preview.pairs) + len(preview.unassigned),
                "seats": preview.seats,
                "weights": cohort.program_weights(program.matching_rules),
            },
            created_by=actor,
            created_at=moment,
            updated_at=moment,
        )
        program_audit(
            membership,
            actor,
            action="program.cohort_run",
            program=program,
            draft=draft.pk,
            pairs=len(preview.pairs),
            unassigned=len(preview.unassigned),
            optimal_total_fit=draft.summary["optimal"]["total_fit"],
            greedy_total_fit=draft.summary["greedy"]["total_fit"],
        )
    return draft


@dataclass
class MentorSlots:
    mentor: User
    capacity_left: int  # seats before this cohort (capacity − current load)
    used: int  # seekers the draft gives them
    problem: str = ""

    @property
    def free(self) -> int:
        return self.capacity_left - self.used


@dataclass
class DraftView:
    """A draft rescored against today's data, ready for the preview page."""

    draft: CohortDraft
    data: cohort.CohortData
    pairs: list[cohort.CohortPair]
    invalid: list[tuple[User | None, User | None, str]]  # pairs that no longer hold, and why
    unassigned: list[tuple[User, str]]
    mentors: list[MentorSlots]
    over_capacity: list[MentorSlots]
    summary: dict
    current: dict

    @property
    def seekers(self) -> list[User]:
        return self.data.seekers

    @property
    def reassign_targets(self) -> list[MentorSlots]:
        return [m for m in self.mentors if not m.problem and m.capacity_left > 0]


def draft_view(draft: CohortDraft) -> DraftView:
    """Rescore ``draft`` on the program's current participants and profiles (a constant
    number of queries, like ``cohort_fit_matrix``): each pair's fit and breakdown, pairs
    that no longer hold (someone left the program or the workspace, or the pair is no
    longer allowed), the unassigned seekers with why, each mentor's seats and the totals
    (the draft now against the optimal and greedy runs it started from)."""
    data = cohort.cohort_fit_matrix(program=draft.program)
    seeker_at = {u.pk: i for i, u in enumerate(data.seekers)}
    mentor_at = {u.pk: j for j, u in enumerate(data.mentors)}
    pairs, invalid, placed = [], [], set()
    used = np.zeros(len(data.mentors), dtype=int)
    for pair in draft.pairs:
        s, m = seeker_at.get(pair["seeker"]), mentor_at.get(pair["mentor"])
        if s is None or m is None:
            invalid.append(
                (
                    data.seekers[s] if s is not None else None,
                    data.mentors[m] if m is not None else None,
                    "left the program or the workspace",
                )
            )
            continue
        if np.isnan(data.fit[s, m]):
            invalid.append((data.seekers[s], data.mentors[m], _why_forbidden(data, m)))
            continue
        pairs.append(cohort.cohort_pair(data, s, m))
        placed.add(s)
        used[m] += 1
    allowed_any = ~np.isnan(data.fit).all(axis=1) if data.fit.size else np.zeros(len(data.seekers), bool)
    unassigned = []
    for s, seeker in enumerate(data.seekers):
        if s in placed:
            continue
        if not data.goals[s].any():
            why = "has no learning goals in this workspace"
        elif not allowed_any[s]:
            why = "no available mentor has expertise in their learning goals"
        else:
            why = "not placed (the mentors who fit are full, or it was unassigned by hand)"
        unassigned.append((seeker, why))
    mentors = [
        MentorSlots(
            mentor=u,
            capacity_left=int(data.capacity_left[j]),
            used=int(used[j]),
            problem=data.mentor_problems.get(j, ""),
        )
        for j, u in enumerate(data.mentors)
    ]
    fits = [p.fit for p in pairs]
    current = {
        "matched": len(pairs),
        "total_fit": round(sum(fits), 4),
        "min_fit": round(min(fits), 4) if fits else None,
        "mean_fit": round(sum(fits) / len(fits), 4) if fits else 0.0,
    }
    return DraftView(
        draft=draft,
        data=data,
        pairs=sorted(pairs, key=lambda p: (p.mentor.full_name or p.mentor.email, p.seeker.full_name or "")),
        invalid=invalid,
        unassigned=unassigned,
        mentors=mentors,
        over_capacity=[m for m in mentors if m.used > m.capacity_left],
        summary=draft.summary,
        current=current,
    )


def _why_forbidden(data: cohort.CohortData, m: int) -> str:
    problem = data.mentor_problems.get(m)
    if problem:
        return f"the mentor is {problem}" if problem in ("away",) else f"the mentor is now {problem}"
    return "the mentor has no expertise in the seeker's learning goals"


def _locked_draft(draft: CohortDraft, version) -> CohortDraft:
    """Re-read and lock the draft; Conflict when it was changed or published since ``version``."""
    locked = CohortDraft.objects.select_for_update().filter(pk=draft.pk).first()
    if locked is not None:
        locked.program = draft.program
    if locked is None or locked.state != CohortDraft.State.DRAFT:
        raise Conflict(
            "This cohort was published or replaced meanwhile.",
            fields={"version": ["Open the program's matching page again."]},
        )
    try:
        version = int(version)
    except (TypeError, ValueError):
        version = -1
    if version != locked.version:
        raise Conflict(
            "Someone else changed this draft meanwhile; your change was not applied.",
            fields={"version": ["Reload the page to see the current draft, then try again."]},
        )
    return locked


def _save_pairs(
    membership, actor, draft: CohortDraft, pairs: list[dict], *, action: str, **details
) -> CohortDraft:
    draft.pairs = pairs
    draft.version += 1
    draft.adjustments += 1
    draft.updated_at = clock.now()
    draft.save(update_fields=["pairs", "version", "adjustments", "updated_at"])
    program_audit(membership, actor, action=action, program=draft.program, draft=draft.pk, **details)
    return draft


def _user_id(value, field_name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(
            "Choose a person from the list.", fields={field_name: ["Choose from the list."]}
        ) from None


def draft_reassign(
    membership: Membership, actor, draft: CohortDraft, *, seeker_id, mentor_id, version
) -> CohortDraft:
    """Give a seeker of the draft another mentor, or none (``mentor_id`` empty = unassign).

    The mentor must be a mentor of the program whom this seeker may be paired with and
    who still has a free seat in the draft (their capacity left minus the seekers the
    draft already gives them). ``version`` is the draft version the page showed: an
    older one is a Conflict (someone else changed the draft)."""
    seeker_id = _user_id(seeker_id, "seeker")
    mentor_id = _user_id(mentor_id, "mentor")
    if seeker_id is None:
        raise ValidationFailed("Choose a seeker.", fields={"seeker": ["Choose the seeker to move."]})
    with transaction.atomic():
        draft = _locked_draft(draft, version)
        data = cohort.cohort_fit_matrix(program=draft.program)
        seeker_at = {u.pk: i for i, u in enumerate(data.seekers)}
        mentor_at = {u.pk: j for j, u in enumerate(data.mentors)}
        if seeker_id not in seeker_at:
            raise ValidationFailed(
                "That person is not a seeker of this program.",
                fields={"seeker": ["Choose a seeker of the program."]},
            )
        pairs = [p for p in draft.pairs if p["seeker"] != seeker_id]
        before = next((p["mentor"] for p in draft.pairs if p["seeker"] == seeker_id), None)
        seeker = data.seekers[seeker_at[seeker_id]]
        if mentor_id is None:
            if before is None:
                raise ValidationFailed(
                    f"{seeker.display_name} has no mentor in the draft.",
                    fields={"mentor": ["Choose a mentor to assign."]},
                )
            return _save_pairs(
                membership,
                actor,
                draft,
                pairs,
                action="program.cohort_unassigned",
                seeker=seeker_id,
                mentor=before,
            )
        if mentor_id not in mentor_at:
            raise ValidationFailed(
                "That person is not a mentor of this program.",
                fields={"mentor": ["Choose a mentor of the program."]},
            )
        if mentor_id == before:
            raise ValidationFailed(
                f"{seeker.display_name} already has that mentor.",
                fields={"mentor": ["Choose a different mentor."]},
            )
        s, m = seeker_at[seeker_id], mentor_at[mentor_id]
        mentor = data.mentors[m]
        if np.isnan(data.fit[s, m]):
            raise ValidationFailed(
                f"{mentor.display_name} cannot mentor {seeker.display_name}: {_why_forbidden(data, m)}.",
                fields={"mentor": ["Choose a mentor with expertise in the seeker's learning goals."]},
            )
        used = sum(1 for p in pairs if p["mentor"] == mentor_id)
        if used >= int(data.capacity_left[m]):
            raise ValidationFailed(
                f"{mentor.display_name} has no free seat: {int(data.capacity_left[m])} seat(s), "
                f"{used} already taken in this draft.",
                fields={
                    "mentor": ["Unassign one of their seekers first, or choose a mentor with a free seat."]
                },
            )
        pairs.append({"seeker": seeker_id, "mentor": mentor_id})
        return _save_pairs(
            membership,
            actor,
            draft,
            pairs,
            action="program.cohort_reassigned",
            seeker=seeker_id,
            mentor=mentor_id,
            before=before,
        )


def draft_swap(
    membership: Membership, actor, draft: CohortDraft, *, seeker_id, other_id, version
) -> CohortDraft:
    """Exchange the mentors of two assigned seekers (capacities unchanged). Each new pair
    must be allowed; ``version`` as in ``draft_reassign``."""
    seeker_id, other_id = _user_id(seeker_id, "seeker"), _user_id(other_id, "other")
    if seeker_id is None or other_id is None or seeker_id == other_id:
        raise ValidationFailed(
            "Choose two different seekers.", fields={"other": ["Choose a second, different seeker."]}
        )
    with transaction.atomic():
        draft = _locked_draft(draft, version)
        by_seeker = {p["seeker"]: p["mentor"] for p in draft.pairs}
        if seeker_id not in by_seeker or other_id not in by_seeker:
            raise ValidationFailed(
                "Both seekers need a mentor in the draft to swap.",
                fields={"other": ["Choose two seekers who have a mentor."]},
            )
        data = cohort.cohort_fit_matrix(program=draft.program)
        seeker_at = {u.pk: i for i, u in enumerate(data.seekers)}
        mentor_at = {u.pk: j for j, u in enumerate(data.mentors)}
        for a, b in ((seeker_id, other_id), (other_id, seeker_id)):
            s, m = seeker_at.get(a), mentor_at.get(by_seeker[b])
            if s is None or m is None:
                raise ValidationFailed(
                    "Someone left the program meanwhile.", fields={"other": ["Reload the page."]}
                )
            if np.isnan(data.fit[s, m]):
                raise ValidationFailed(
                    f"{data.mentors[m].display_name} cannot mentor {data.seekers[s].display_name}: "
                    f"{_why_forbidden(data, m)}.",
                    fields={"other": ["Choose seekers whose mentors fit both of them."]},
                )
        by_seeker[seeker_id], by_seeker[other_id] = by_seeker[other_id], by_seeker[seeker_id]
        pairs = [{"seeker": s, "mentor": m} for s, m in by_seeker.items()]
        return _save_pairs(
            membership, actor, draft, pairs, action="program.cohort_swapped", seeker=seeker_id, other=other_id
        )


def draft_discard(membership: Membership, actor, draft: CohortDraft, *, version) -> None:
    with transaction.atomic():
        draft = _locked_draft(draft, version)
        draft.delete()
        program_audit(membership, actor, action="program.cohort_discarded", program=draft.program)


def _capacity_conflict(view: DraftView) -> None:
    problems = []
    for slots in view.mentors:
        if slots.used and slots.used > slots.capacity_left:
            reason = f" ({slots.problem})" if slots.problem else ""
            problems.append(
                f"{slots.mentor.display_name} has room for {slots.capacity_left} more seeker(s){reason} "
                f"but the draft gives them {slots.used}."
            )
    for seeker, mentor, why in view.invalid:
        who = " and ".join(u.display_name for u in (seeker, mentor) if u is not None) or "A pair"
        problems.append(f"{who}: {why}.")
    if problems:
        raise Conflict(
            "Nothing was published: " + " ".join(problems) + " Reassign their seekers and publish again.",
            fields={"draft": problems},
        )


def draft_publish(membership: Membership, actor, draft: CohortDraft, *, version) -> CohortDraft:
    """Create the draft's engagements and tell everyone matched, all or nothing.

    Locks the draft (``version`` must be the one the page showed), rescores it on
    today's data and raises Conflict naming each mentor who lost capacity (or went
    away) and each pair that no longer holds — nothing is created. Otherwise hands the
    pairs to ``cohort_save`` (which locks the mentors' profiles and checks again, so a
    change in between is still caught), which creates one engagement per pair and
    notifies both people after commit; the draft becomes published with the counts."""
    with transaction.atomic():
        draft = _locked_draft(draft, version)
        view = draft_view(draft)
        _capacity_conflict(view)
        if not view.pairs:
            raise ValidationFailed(
                "The draft has no pairs, so there is nothing to publish.",
                fields={"draft": ["Assign at least one seeker to a mentor, or run the matching again."]},
            )
        base = cohort.preview_from(view.data)  # today's optimal and greedy, for the audit row
        preview = replace(base, pairs=view.pairs, unassigned=view.unassigned)
        try:
            engagements = cohort.cohort_save(actor=actor, preview=preview)
        except Conflict:
            # changed between our read and cohort_save's lock: name who, if we can see it now
            _capacity_conflict(draft_view(draft))
            raise
        draft.state = CohortDraft.State.PUBLISHED
        draft.published_by = actor
        draft.published_at = clock.now()
        draft.engagements_created = len(engagements)
        draft.people_notified = len({u.pk for p in view.pairs for u in (p.mentor, p.seeker)})
        draft.updated_at = draft.published_at
        draft.summary = {**draft.summary, "engagement_ids": [e.pk for e in engagements]}
        draft.save(
            update_fields=[
                "state",
                "published_by",
                "published_at",
                "engagements_created",
                "people_notified",
                "updated_at",
                "summary",
            ]
        )
        program_audit(
            membership,
            actor,
            action="program.cohort_published",
            program=draft.program,
            draft=draft.pk,
            engagements=len(engagements),
            adjustments=draft.adjustments,
            total_fit=view.current["total_fit"],
        )
    return draft


def published_engagements(draft: CohortDraft) -> QuerySet[Engagement]:
    """The engagements a published draft created, with their people."""
    ids = draft.summary.get("engagement_ids", []) if draft.state == CohortDraft.State.PUBLISHED else []
    return (
        Engagement.objects.filter(program=draft.program, pk__in=ids)
        .prefetch_related(Prefetch("participants", queryset=Participant.objects.select_related("user")))
        .order_by("id")
    )
