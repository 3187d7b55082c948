"""Cohort drafts: a bulk-matching result a talent manager adjusts before publishing it
(docs/programs.md, "Programs and cohorts UI").

``draft_run`` stores the optimal assignment of ``cohort_assign`` as the program's open
``CohortDraft``; ``draft_reassign`` / ``draft_swap`` / ``draft_discard`` adjust it under
optimistic locking (``version``); ``draft_publish`` rescores it on today's data
(``mentoring.programs.selectors.draft_view``), checks capacities (naming the mentor who
lost room) and hands the pairs to ``cohort_save``. A draft's state moves only through
``COHORT_DRAFT_MOVES`` (draft → published), on its locked row. Every change writes one
audit row (``program_audit``) in its transaction.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from django.db import transaction

from accounts.models import Membership
from core import clock
from core.errors import Conflict, ValidationFailed
from core.transitions import StateMachine
from mentoring.models import CohortDraft, Program
from mentoring.programs import cohorts
from mentoring.programs.assignment import Assignment
from mentoring.programs.fit import cohort_fit_matrix, program_weights, why_forbidden
from mentoring.programs.selectors import DraftView, draft_view
from mentoring.programs.services import program_audit

COHORT_DRAFT_MOVES = StateMachine(
    CohortDraft.State,
    {CohortDraft.State.DRAFT: {CohortDraft.State.PUBLISHED}, CohortDraft.State.PUBLISHED: set()},
    noun="cohort draft",
)


def _summary(assignment: Assignment) -> dict:
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
    preview = cohorts.cohort_assign(actor=actor, program=program)
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
                "weights": program_weights(program.matching_rules),
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
        data = cohort_fit_matrix(program=draft.program)
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
                f"{mentor.display_name} cannot mentor {seeker.display_name}: {why_forbidden(data, m)}.",
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
        data = cohort_fit_matrix(program=draft.program)
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
                    f"{why_forbidden(data, m)}.",
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
        base = cohorts.preview_from(view.data)  # today's optimal and greedy, for the audit row
        preview = replace(base, pairs=view.pairs, unassigned=view.unassigned)
        try:
            engagements = cohorts.cohort_save(actor=actor, preview=preview)
        except Conflict:
            # changed between our read and cohort_save's lock: name who, if we can see it now
            _capacity_conflict(draft_view(draft))
            raise
        COHORT_DRAFT_MOVES.move(draft, CohortDraft.State.PUBLISHED)
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
