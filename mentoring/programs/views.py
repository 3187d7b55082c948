"""HTML adapters for programs and cohorts under /manage/programs/ (namespace "dashboard",
routes in ``mentoring.programs.urls``).

Each view: the manager check (``accounts.access.talent_manager_required``: members get
the 403 page), the program through ``selectors.access_program`` (another workspace's
is a 404: the ``NotFound`` goes to ``core.html_errors``), one service or selector call,
one audit row, render. Writes are POST only (CSRF) and redirect after success; a
form's errors are put back on it (``core.html_errors.run_form``).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import talent_manager_required
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.html_errors import form_status, run_form
from core.idempotency import form_token, submit_once
from mentoring.engagements.matching import FACTOR_LABELS
from mentoring.models import CohortDraft, EngagementKind
from mentoring.programs import csv_import, drafts, selectors, services
from mentoring.programs.forms import (
    AddParticipantForm,
    CsvUploadForm,
    MemberSearchForm,
    ProgramForm,
    ReassignForm,
    SwapForm,
    VersionForm,
)
from mentoring.programs.kpis import program_kpis


def _matching_url(program) -> str:
    return reverse("dashboard:program_matching", args=[program.pk])


def _participants_url(program) -> str:
    return reverse("dashboard:program_detail", args=[program.pk]) + "#participants-heading"


# --- programs ----------------------------------------------------------------------------------------


@talent_manager_required
def program_list(request, membership):
    page = Paginator(selectors.program_list(membership), selectors.PROGRAMS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    items = list(page.object_list)
    kpis = program_kpis(items)
    services.program_audit(membership, request.user, action="dashboard.view_programs", page=page.number)
    return render(
        request,
        "dashboard/programs/list.html",
        {"page": page, "rows": [(p, kpis[p.pk]) for p in items]},
    )


def _program_form_page(request, form, program, *, form_token=None):
    return render(
        request,
        "dashboard/programs/form.html",
        {"form": form, "program": program, "form_token": form_token},
        status=form_status(form) if form.errors else 200,
    )


@talent_manager_required
def program_create(request, membership):
    form = ProgramForm(
        request.POST if request.method == "POST" else None, initial={"kind": EngagementKind.SITUATIONAL}
    )
    if request.method == "POST":

        def create() -> str | None:
            program = run_form(
                form, lambda: services.program_create(membership, request.user, form.fields_for_service())
            )
            if program is None:
                return None
            messages.success(request, f"Program “{program.name}” created. Add its participants next.")
            return reverse("dashboard:program_detail", args=[program.pk])

        url = submit_once(request, create)  # a double submit lands on the first program
        if url is not None:
            return redirect(url)
    return _program_form_page(request, form, None, form_token=form_token(request))


@talent_manager_required
def program_edit(request, membership, program_id):
    program = selectors.access_program(membership, program_id)
    form = ProgramForm(
        request.POST if request.method == "POST" else None,
        initial=ProgramForm.initial_from(services.program_fields(program)),
    )
    if request.method == "POST":
        saved = run_form(
            form,
            lambda: services.program_update(membership, request.user, program, form.fields_for_service()),
        )
        if saved is not None:
            messages.success(request, "Program saved.")
            return redirect("dashboard:program_detail", program.pk)
    return _program_form_page(request, form, program)


@talent_manager_required
def program_detail(request, membership, program_id):
    program = selectors.access_program(membership, program_id)
    search = MemberSearchForm(request.GET or None)
    q = search.cleaned_data["q"] if search.is_valid() else ""
    candidates = selectors.member_candidates(membership, request.user, program, q) if q else []
    participants = Paginator(selectors.participant_list(program), selectors.PARTICIPANTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    fields = services.program_fields(program)
    services.program_audit(membership, request.user, action="program.view", program=program)
    return render(
        request,
        "dashboard/programs/detail.html",
        {
            "program": program,
            "kpis": program_kpis([program])[program.pk],
            "search": search,
            "q": q,
            "candidates": candidates,
            "participants": participants,
            "draft": selectors.open_draft(program),
            "last_published": selectors.last_published_draft(program),
            "weights": [(FACTOR_LABELS[k], v) for k, v in fields.weights.items()],
            "min_level": fields.min_level,
            "can_match": program.kind != EngagementKind.GROUP,
        },
    )


# --- participants ------------------------------------------------------------------------------------


@require_POST
@talent_manager_required
def participant_add(request, membership, program_id):
    program = selectors.access_program(membership, program_id)
    form = AddParticipantForm(request.POST)
    participant = run_form(
        form,
        lambda: services.participant_add(
            membership,
            request.user,
            program,
            user_id=form.cleaned_data["user"],
            role=form.cleaned_data["role"],
        ),
    )
    if participant is not None:
        messages.success(
            request, f"{participant.user.display_name} joined the program as {participant.role}."
        )
    elif getattr(form, "domain_error", None) is not None:
        messages.error(request, form.domain_error.message)
    else:
        messages.error(request, "Choose a person and a role (mentor or seeker).")
    return redirect(_participants_url(program))


@require_POST
@talent_manager_required
def participant_remove(request, membership, program_id, participant_id):
    program = selectors.access_program(membership, program_id)
    services.participant_remove(membership, request.user, program, participant_id=participant_id)
    messages.success(request, "Removed from the program. Their engagements are unchanged.")
    return redirect(_participants_url(program))


@talent_manager_required
def participants_upload(request, membership, program_id):
    program = selectors.access_program(membership, program_id)
    form = CsvUploadForm(request.POST, request.FILES) if request.method == "POST" else CsvUploadForm()
    if request.method == "POST":
        result = run_form(
            form,
            lambda: csv_import.participants_import_csv(
                membership, request.user, program, form.cleaned_data["file"]
            ),
        )
        if result is not None:
            messages.success(
                request,
                f"Imported {result.imported} participant(s): {result.mentors} mentor(s) and "
                f"{result.seekers} seeker(s).",
            )
            return redirect("dashboard:program_detail", program.pk)
    error = getattr(form, "domain_error", None)
    return render(
        request,
        "dashboard/programs/upload.html",
        {"form": form, "program": program, "summary": error.message if error is not None else ""},
        status=400 if request.method == "POST" else 200,
    )


# --- bulk matching -----------------------------------------------------------------------------------


def _render_matching(request, program, *, status=200, error=None):
    draft = selectors.open_draft(program)
    view = None
    if draft is not None:
        try:
            view = selectors.draft_view(draft)
        except ValidationFailed as exc:  # the program's matching rules were broken elsewhere (admin)
            error, status = error or exc, max(status, exc.status)
    pairs = Paginator(view.pairs if view else [], 50).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboard/programs/matching.html",
        {
            "program": program,
            "draft": draft,
            "view": view,
            "pairs": pairs,
            "error": error,
            "can_match": program.kind != EngagementKind.GROUP,
            "assigned": sorted((p.seeker for p in view.pairs), key=lambda u: (u.full_name or u.email).lower())
            if view
            else [],
        },
        status=status,
    )


@talent_manager_required
def program_matching(request, membership, program_id):
    program = selectors.access_program(membership, program_id)
    services.program_audit(membership, request.user, action="program.view_cohort", program=program)
    return _render_matching(request, program)


@require_POST
@talent_manager_required
def matching_run(request, membership, program_id):
    program = selectors.access_program(membership, program_id)
    try:
        draft = drafts.draft_run(membership, request.user, program)
    except (ValidationFailed, PermissionDenied) as exc:  # shown on the matching page, with its status
        return _render_matching(request, program, status=exc.status, error=exc)
    messages.success(
        request,
        f"Matched {len(draft.pairs)} of {draft.summary['seekers']} seeker(s). "
        "Review the pairs, adjust, then publish.",
    )
    return redirect(_matching_url(program))


def _draft_action(request, membership, program_id, form_class, action):
    """Shared flow of the draft adjustments: the open draft, the form, the service; a
    refusal re-renders the matching page with the reason and its status."""
    program = selectors.access_program(membership, program_id)
    draft = selectors.open_draft(program)
    form = form_class(request.POST)
    if draft is None:
        error = Conflict(
            "There is no open draft: it was published or discarded meanwhile. Run the matching again."
        )
        return _render_matching(request, program, status=409, error=error)
    if not form.is_valid():
        error = ValidationFailed("Choose from the lists, then submit again.")
        return _render_matching(request, program, status=400, error=error)
    try:
        message = action(draft, form.cleaned_data)
    except (ValidationFailed, Conflict) as exc:
        return _render_matching(request, program, status=exc.status, error=exc)
    messages.success(request, message)
    return redirect(_matching_url(program) + "#pairs-heading")


@require_POST
@talent_manager_required
def matching_reassign(request, membership, program_id):
    def action(draft, data):
        drafts.draft_reassign(
            membership,
            request.user,
            draft,
            seeker_id=data["seeker"],
            mentor_id=data["mentor"],
            version=data["version"],
        )
        return "Draft updated." if data["mentor"] else "Seeker unassigned in the draft."

    return _draft_action(request, membership, program_id, ReassignForm, action)


@require_POST
@talent_manager_required
def matching_swap(request, membership, program_id):
    def action(draft, data):
        drafts.draft_swap(
            membership,
            request.user,
            draft,
            seeker_id=data["seeker"],
            other_id=data["other"],
            version=data["version"],
        )
        return "Mentors swapped in the draft."

    return _draft_action(request, membership, program_id, SwapForm, action)


@require_POST
@talent_manager_required
def matching_discard(request, membership, program_id):
    def action(draft, data):
        drafts.draft_discard(membership, request.user, draft, version=data["version"])
        return "Draft discarded."

    return _draft_action(request, membership, program_id, VersionForm, action)


@require_POST
@talent_manager_required
def matching_publish(request, membership, program_id):
    program = selectors.access_program(membership, program_id)
    draft = selectors.open_draft(program)
    form = VersionForm(request.POST)
    if draft is None or not form.is_valid():
        error = Conflict("There is no open draft to publish: it was published or discarded meanwhile.")
        return _render_matching(request, program, status=409, error=error)
    try:
        draft = drafts.draft_publish(membership, request.user, draft, version=form.cleaned_data["version"])
    except (ValidationFailed, Conflict) as exc:
        return _render_matching(request, program, status=exc.status, error=exc)
    return redirect("dashboard:program_cohort_result", program.pk, draft.pk)


@talent_manager_required
def cohort_result(request, membership, program_id, draft_id):
    program = selectors.access_program(membership, program_id)
    draft = selectors.access_draft(program, draft_id)
    if draft.state != CohortDraft.State.PUBLISHED:
        return redirect(_matching_url(program))
    engagements = Paginator(selectors.published_engagements(draft), 50).get_page(request.GET.get("page"))
    services.program_audit(
        membership, request.user, action="program.view_cohort_result", program=program, draft=draft.pk
    )
    return render(
        request,
        "dashboard/programs/result.html",
        {"program": program, "draft": draft, "engagements": engagements},
    )
