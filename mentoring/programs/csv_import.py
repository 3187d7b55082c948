"""Enrolling a program's participants from a CSV upload (``email,role``), all or nothing:
the whole file is checked first, then every row is enrolled in one transaction, or
nothing is and every problem is listed per row (docs/programs.md, "Programs and
cohorts UI")."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from accounts.models import Membership
from core import clock
from core.errors import ValidationFailed
from mentoring.models import Program, ProgramParticipant
from mentoring.programs.services import parse_role, program_audit

# CSV upload limits: checked before anything is parsed (size) and while reading (rows).
CSV_MAX_BYTES = 1_000_000
CSV_MAX_ROWS = 5_000
CSV_COLUMNS = ("email", "role")
# Errors listed on the page; the rest are counted ("and 12 more").
CSV_MAX_ERRORS_SHOWN = 50


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
            if parse_role(role) is None:
                errors.append(f"row {number}: the role must be mentor or seeker, not “{_shorten(role)}”.")
                problem = True
            if problem:
                continue
            if email in seen:
                errors.append(f"row {number}: {email} is already on row {seen[email]}.")
                continue
            seen[email] = number
            rows.append((number, email, parse_role(role)))
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
