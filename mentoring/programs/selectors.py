"""Reads behind /manage/programs/ (docs/programs.md, "Programs and cohorts UI"): programs,
their participants and their cohort drafts, always scoped to the acting talent
manager's workspace (``Membership``): a program or draft of another workspace is the
same ``NotFound`` as a missing one. The figures of a program are
``mentoring.programs.kpis``; the writes are ``mentoring.programs.services``,
``mentoring.programs.csv_import`` and ``mentoring.programs.drafts``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db.models import Prefetch, QuerySet

from accounts.models import Membership, User
from core.errors import NotFound
from mentoring.models import CohortDraft, Engagement, Participant, Program, ProgramParticipant
from mentoring.programs.fit import CohortData, CohortPair, cohort_fit_matrix, cohort_pair, why_forbidden

PARTICIPANTS_PER_PAGE = 50
PROGRAMS_PER_PAGE = 25


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


def last_published_draft(program: Program) -> CohortDraft | None:
    """The program's most recently published cohort, if any."""
    return (
        CohortDraft.objects.filter(program=program, state=CohortDraft.State.PUBLISHED)
        .order_by("-published_at")
        .first()
    )


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
    data: CohortData
    pairs: list[CohortPair]
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
    data = cohort_fit_matrix(program=draft.program)
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
            invalid.append((data.seekers[s], data.mentors[m], why_forbidden(data, m)))
            continue
        pairs.append(cohort_pair(data, s, m))
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


def published_engagements(draft: CohortDraft) -> QuerySet[Engagement]:
    """The engagements a published draft created, with their people."""
    ids = draft.summary.get("engagement_ids", []) if draft.state == CohortDraft.State.PUBLISHED else []
    return (
        Engagement.objects.filter(program=draft.program, pk__in=ids)
        .prefetch_related(Prefetch("participants", queryset=Participant.objects.select_related("user")))
        .order_by("id")
    )
