"""Cohort (bulk) matching services: many seekers to many mentors with mentor capacity
(docs/programs.md, "Cohort matching").

``cohort_assign`` previews a cohort (reads only): the program's pairs scored by
``mentoring.programs.fit.cohort_fit_matrix``, assigned optimally and greedily by
``mentoring.programs.assignment`` for comparison. ``cohort_save`` turns a preview into
engagements of the program, in one transaction, and ``cohort_announce`` tells
everyone matched. The programs UI keeps a preview as a ``CohortDraft`` first
(``mentoring.programs.drafts``).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.db import transaction

from accounts.access import require_talent_manager
from accounts.audit import audit_record
from accounts.models import Membership, Organization, Profile, User
from core import clock
from core.errors import Conflict, NotFound, ValidationFailed
from mentoring.engagements.selectors import mentor_loads
from mentoring.models import (
    DEFAULT_DURATION_DAYS,
    MAX_DURATION_DAYS,
    Engagement,
    EngagementKind,
    EngagementTransition,
    Participant,
    Program,
    ProgramParticipant,
)
from mentoring.programs.assignment import Assignment, assign_greedy, assign_optimal
from mentoring.programs.fit import CohortData, CohortPair, cohort_fit_matrix, cohort_pair
from messaging.notifications.notify import notify, page_link


@dataclass(frozen=True)
class CohortPreview:
    """What ``cohort_save`` would create, with the greedy pass for comparison.
    Kept in memory; the programs UI stores a draft's pairs in ``CohortDraft``
    (``mentoring.programs.drafts``) and rebuilds the preview from them."""

    organization: Organization
    program: Program | None
    pairs: list[CohortPair]
    unassigned: list[tuple[User, str]]  # seeker, why
    mentors_without_slots: list[tuple[User, str]]
    optimal: Assignment
    greedy: Assignment
    seats: int  # capacity slots available in total

    @property
    def gain(self) -> float:
        """How much more total fit the optimal assignment reaches than the greedy pass."""
        return self.optimal.total_fit - self.greedy.total_fit


def _program_in_workspace(actor, program) -> tuple[Organization, Program | None]:
    membership = require_talent_manager(actor)
    if program is None:
        return membership.organization, None
    program_id = getattr(program, "pk", program)
    found = (
        Program.objects.select_related("organization")
        .filter(pk=program_id, organization_id=membership.organization_id)
        .first()
    )
    if found is None:
        raise NotFound("No such program.")
    if found.kind == EngagementKind.GROUP:
        raise ValidationFailed(
            "Cohort matching pairs one seeker with one mentor; a group program's groups are started by hand.",
            fields={"program": ["Choose a situational or ongoing program."]},
        )
    return found.organization, found


def cohort_assign(*, actor, program=None, seekers: Iterable | None = None, mentors: Iterable | None = None):
    """Preview a cohort assignment. Reads only.

    Who may call: a talent manager; ``program`` (instance or id) must be of their
    workspace (NotFound otherwise, the same as a missing one) and not of kind
    group. Without a program, ``seekers`` and ``mentors`` are required and are
    matched inside the manager's workspace. Returns a ``CohortPreview`` with the
    optimal pairs, each with its factor breakdown, and the greedy totals."""
    organization, program = _program_in_workspace(actor, program)
    if program is None and (seekers is None or mentors is None):
        raise ValidationFailed(
            "Choose a program or list the seekers and mentors.",
            fields={"program": ["Choose a program, or pass both seekers and mentors."]},
        )
    data = cohort_fit_matrix(organization=organization, program=program, seekers=seekers, mentors=mentors)
    return preview_from(data)


def preview_from(data: CohortData) -> CohortPreview:
    """Both assignments on ``data`` and the explanation of the optimal one."""
    optimal = assign_optimal(data.fit, data.capacity_left)
    greedy = assign_greedy(data.fit, data.capacity_left)
    pairs = [cohort_pair(data, s, m) for s, m, _fit in optimal.pairs]
    allowed_any = ~np.isnan(data.fit).all(axis=1) if data.fit.size else np.zeros(len(data.seekers), bool)
    unassigned = []
    for s in optimal.unassigned:
        if not data.goals[s].any():
            why = "has no learning goals in this workspace"
        elif not allowed_any[s]:
            why = "no available mentor has expertise in their learning goals"
        else:
            why = "the mentors who fit were full"
        unassigned.append((data.seekers[s], why))
    return CohortPreview(
        organization=data.organization,
        program=data.program,
        pairs=pairs,
        unassigned=unassigned,
        mentors_without_slots=[(data.mentors[j], why) for j, why in sorted(data.mentor_problems.items())],
        optimal=optimal,
        greedy=greedy,
        seats=int(data.capacity_left.sum()),
    )


def cohort_save(*, actor, preview: CohortPreview, announce: bool = True) -> list[Engagement]:
    """Start one engagement per pair of ``preview`` (from ``cohort_assign``), all or nothing.

    Who may call: a talent manager of the preview's workspace. Locks the
    mentors' profile rows (id order), re-reads their load and raises Conflict
    (nothing written) when a mentor no longer has room for their seekers — the
    manager previews again. Each engagement has the program's kind and default
    duration, the covered learning goals as skills, a mentor and a seeker
    participant and its creation audit row; both people are enrolled in the
    program (existing enrolments kept); one workspace audit entry. Bulk inserts:
    a constant number of queries. With ``announce`` (the default) everyone matched
    is told (``cohort_announce``, same transaction, delivered after commit);
    ``announce=False`` leaves that to the caller, e.g. once the manager has
    briefed the mentors."""
    organization, program = _program_in_workspace(actor, preview.program)
    if organization.pk != preview.organization.pk:
        raise NotFound("No such program.")
    if not preview.pairs:
        raise ValidationFailed(
            "Nobody could be matched, so there is nothing to save.",
            fields={
                "seekers": ["Add mentors with expertise in the seekers' learning goals, or more capacity."]
            },
        )
    kind = program.kind if program is not None else EngagementKind.SITUATIONAL
    days = program.default_duration_days if program is not None else None
    if days is None:
        days = DEFAULT_DURATION_DAYS[EngagementKind(kind)]
    if days > MAX_DURATION_DAYS[EngagementKind(kind)]:
        raise ValidationFailed(
            f"A {kind} engagement lasts at most {MAX_DURATION_DAYS[EngagementKind(kind)]} days.",
            fields={"program": ["Shorten the program's default duration or change its kind."]},
        )
    wanted: dict[int, int] = {}
    for pair in preview.pairs:
        wanted[pair.mentor.pk] = wanted.get(pair.mentor.pk, 0) + 1
    starts_at = clock.now()
    ends_at = starts_at + timedelta(days=days)
    with transaction.atomic():
        # A mentor who went away or closed mentoring since the preview has no room either.
        locked = dict(
            Profile.objects.select_for_update()
            .filter(user_id__in=list(wanted), open_to_mentor=True, is_away=False)
            .order_by("user_id")
            .values_list("user_id", "capacity")
        )
        loads = mentor_loads(wanted)
        active = set(
            Membership.objects.filter(
                user_id__in=list(wanted) + [p.seeker.pk for p in preview.pairs],
                organization_id=organization.pk,
                is_active=True,
                user__is_active=True,
            ).values_list("user_id", flat=True)
        )
        full = [
            user_id
            for user_id, n in wanted.items()
            if user_id not in active or locked.get(user_id, 0) - loads.get(user_id, 0) < n
        ]
        gone = [p.seeker.pk for p in preview.pairs if p.seeker.pk not in active]
        if full or gone:
            raise Conflict(
                "Capacity or membership changed since the preview; preview the cohort again.",
                fields={
                    "preview": [f"{len(full)} mentor(s) and {len(gone)} seeker(s) are no longer available."]
                },
            )
        prefix = f"{program.name}: " if program is not None else ""
        engagements = Engagement.objects.bulk_create(
            [
                Engagement(
                    organization_id=organization.pk,
                    program=program,
                    kind=kind,
                    title=(prefix + (", ".join(name for _i, name, _l in pair.skills) or "Mentoring"))[:160],
                    goal="Learning goals: " + ", ".join(name for _i, name, _l in pair.skills) + ".",
                    starts_at=starts_at,
                    ends_at=ends_at,
                    created_by=actor,
                    created_at=starts_at,
                )
                for pair in preview.pairs
            ]
        )
        Participant.objects.bulk_create(
            [
                Participant(engagement_id=e.pk, user_id=user.pk, role=role, joined_at=starts_at)
                for e, pair in zip(engagements, preview.pairs, strict=True)
                for user, role in (
                    (pair.mentor, Participant.Role.MENTOR),
                    (pair.seeker, Participant.Role.SEEKER),
                )
            ]
        )
        EngagementTransition.objects.bulk_create(
            [
                EngagementTransition(
                    engagement_id=e.pk,
                    from_state="",
                    to_state=Engagement.State.ACTIVE,
                    actor_id=actor.pk,
                    reason="cohort",
                    at=starts_at,
                )
                for e in engagements
            ]
        )
        through = Engagement.skills.through
        through.objects.bulk_create(
            [
                through(engagement_id=e.pk, skill_id=skill_id)
                for e, pair in zip(engagements, preview.pairs, strict=True)
                for skill_id, _name, _level in pair.skills
            ]
        )
        if program is not None:
            enrolled = set(
                ProgramParticipant.objects.filter(program=program).values_list("user_id", flat=True)
            )
            ProgramParticipant.objects.bulk_create(
                [
                    ProgramParticipant(program_id=program.pk, user_id=user.pk, role=role, joined_at=starts_at)
                    for user, role in dict.fromkeys(
                        (user, role)
                        for pair in preview.pairs
                        for user, role in (
                            (pair.mentor, ProgramParticipant.Role.MENTOR),
                            (pair.seeker, ProgramParticipant.Role.SEEKER),
                        )
                    )
                    if user.pk not in enrolled
                ],
                ignore_conflicts=True,  # someone enrolled meanwhile keeps their row
            )
        audit_record(
            organization_id=organization.pk,
            actor=actor,
            action="program.cohort_matched",
            target=program,
            details={
                "pairs": len(preview.pairs),
                "unassigned": len(preview.unassigned),
                "optimal_total_fit": round(preview.optimal.total_fit, 4),
                "greedy_total_fit": round(preview.greedy.total_fit, 4),
            },
        )
        if announce:
            cohort_announce(preview=preview)
    return engagements


def cohort_announce(*, preview: CohortPreview) -> None:
    """Tell everyone matched in ``preview`` (mentors and seekers) through ``notify``:
    one in-app notification each, delivered after the surrounding transaction
    commits. Called by ``cohort_save``; call it yourself after ``announce=False``."""
    program = preview.program
    with transaction.atomic():
        notify(
            recipients=[u for pair in preview.pairs for u in (pair.mentor, pair.seeker)],
            kind="engagement.started",
            subject=f"You have a new mentoring match{' in ' + program.name if program is not None else ''}",
            body="A talent manager matched you with a mentoring partner: see your engagements.",
            link=page_link("mentoring:engagement_list", fallback="/engagements/"),
        )
