"""HTML adapters for programs and cohorts under /manage/programs/ (namespace "dashboard").

Each view: the manager check (``talent_manager_required``: members get the 403 page),
the program through ``programs.access_program`` (another workspace's is a 404), one
service or selector call, one audit row, render. Writes are POST only (CSRF) and
redirect after success.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from dashboard.views.overview import talent_manager_required
from mentoring.engagements.matching import FACTOR_LABELS
from mentoring.models import CohortDraft, EngagementKind
from mentoring.programs import services as programs
from mentoring.programs.forms import (
    AddParticipantForm,
    CsvUploadForm,
    MemberSearchForm,
    ProgramForm,
    ReassignForm,
    SwapForm,
    VersionForm,
    add_service_errors,
)


def _program(membership, program_id):
    try:
        return programs.access_program(membership, program_id)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _matching_url(program) -> str:
    return reverse("dashboard:program_matching", args=[program.pk])


# --- programs ----------------------------------------------------------------------------------------


@talent_manager_required
def program_list(request, membership):
    page = Paginator(programs.program_list(membership), programs.PROGRAMS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    items = list(page.object_list)
    kpis = programs.program_kpis(items)
    programs.program_audit(membership, request.user, action="dashboard.view_programs", page=page.number)
    return render(
        request,
        "dashboard/programs/list.html",
        {"page": page, "rows": [(p, kpis[p.pk]) for p in items]},
    )


@talent_manager_required
def program_create(request, membership):
    form = ProgramForm(
        request.POST if request.method == "POST" else None, initial={"kind": EngagementKind.SITUATIONAL}
    )
    if request.method == "POST" and form.is_valid():
        try:
            program = programs.program_create(membership, request.user, form.fields_for_service())
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Program “{program.name}” created. Add its participants next.")
            return redirect("dashboard:program_detail", program.pk)
    return render(
        request,
        "dashboard/programs/form.html",
        {"form": form, "program": None},
        status=400 if form.errors else 200,
    )


@talent_manager_required
def program_edit(request, membership, program_id):
    program = _program(membership, program_id)
    form = ProgramForm(
        request.POST if request.method == "POST" else None,
        initial=ProgramForm.initial_from(programs.program_fields(program)),
    )
    if request.method == "POST" and form.is_valid():
        try:
            programs.program_update(membership, request.user, program, form.fields_for_service())
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Program saved.")
            return redirect("dashboard:program_detail", program.pk)
    return render(
        request,
        "dashboard/programs/form.html",
        {"form": form, "program": program},
        status=400 if form.errors else 200,
    )


@talent_manager_required
def program_detail(request, membership, program_id):
    program = _program(membership, program_id)
    search = MemberSearchForm(request.GET or None)
    q = search.cleaned_data["q"] if search.is_valid() else ""
    candidates = programs.member_candidates(membership, request.user, program, q) if q else []
    participants = Paginator(programs.participant_list(program), programs.PARTICIPANTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    draft = programs.open_draft(program)
    last_published = (
        CohortDraft.objects.filter(program=program, state=CohortDraft.State.PUBLISHED)
        .order_by("-published_at")
        .first()
    )
    programs.program_audit(membership, request.user, action="program.view", program=program)
    return render(
        request,
        "dashboard/programs/detail.html",
        {
            "program": program,
            "kpis": programs.program_kpis([program])[program.pk],
            "search": search,
            "q": q,
            "candidates": candidates,
            "participants": participants,
            "draft": draft,
            "last_published": last_published,
            "weights": [(FACTOR_LABELS[k], v) for k, v in programs.program_fields(program).weights.items()],
            "min_level": programs.program_fields(program).min_level,
            "can_match": program.kind != EngagementKind.GROUP,
        },
    )


# --- participants ------------------------------------------------------------------------------------


@require_POST
@talent_manager_required
def participant_add(request, membership, program_id):
    program = _program(membership, program_id)
    form = AddParticipantForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a person and a role (mentor or seeker).")
    else:
        try:
            participant = programs.participant_add(
                membership,
                request.user,
                program,
                user_id=form.cleaned_data["user"],
                role=form.cleaned_data["role"],
            )
        except NotFound as exc:
            messages.error(request, exc.message)
        except ValidationFailed as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, f"{participant.user.display_name} joined the program as {participant.role}."
            )
    return redirect(reverse("dashboard:program_detail", args=[program.pk]) + "#participants-heading")


@require_POST
@talent_manager_required
def participant_remove(request, membership, program_id, participant_id):
    program = _program(membership, program_id)
    try:
        programs.participant_remove(membership, request.user, program, participant_id=participant_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    messages.success(request, "Removed from the program. Their engagements are unchanged.")
    return redirect(reverse("dashboard:program_detail", args=[program.pk]) + "#participants-heading")


@talent_manager_required
def participants_upload(request, membership, program_id):
    program = _program(membership, program_id)
    form = CsvUploadForm(request.POST, request.FILES) if request.method == "POST" else CsvUploadForm()
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                result = programs.participants_import_csv(
                    membership, request.user, program, form.cleaned_data["file"]
                )
            except ValidationFailed as exc:
                add_service_errors(form, exc)
                form.summary = exc.message
            else:
                messages.success(
                    request,
                    f"Imported {result.imported} participant(s): {result.mentors} mentor(s) and "
                    f"{result.seekers} seeker(s).",
                )
                return redirect("dashboard:program_detail", program.pk)
        status = 400
    return render(
        request,
        "dashboard/programs/upload.html",
        {"form": form, "program": program, "summary": getattr(form, "summary", "")},
        status=status,
    )


# --- bulk matching -----------------------------------------------------------------------------------


def _render_matching(request, membership, program, *, status=200, error=None):
    draft = programs.open_draft(program)
    view = None
    if draft is not None:
        try:
            view = programs.draft_view(draft)
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
    program = _program(membership, program_id)
    programs.program_audit(membership, request.user, action="program.view_cohort", program=program)
    return _render_matching(request, membership, program)


@require_POST
@talent_manager_required
def matching_run(request, membership, program_id):
    program = _program(membership, program_id)
    try:
        draft = programs.draft_run(membership, request.user, program)
    except (ValidationFailed, PermissionDenied) as exc:
        return _render_matching(request, membership, program, status=exc.status, error=exc)
    messages.success(
        request,
        f"Matched {len(draft.pairs)} of {draft.summary['seekers']} seeker(s). "
        "Review the pairs, adjust, then publish.",
    )
    return redirect(_matching_url(program))


def _draft_action(request, membership, program_id, form_class, action):
    program = _program(membership, program_id)
    draft = programs.open_draft(program)
    form = form_class(request.POST)
    if draft is None:
        error = Conflict(
            "There is no open draft: it was published or discarded meanwhile. Run the matching again."
        )
        return _render_matching(request, membership, program, status=409, error=error)
    if not form.is_valid():
        error = ValidationFailed("Choose from the lists, then submit again.")
        return _render_matching(request, membership, program, status=400, error=error)
    try:
        message = action(program, draft, form.cleaned_data)
    except (ValidationFailed, Conflict) as exc:
        return _render_matching(request, membership, program, status=exc.status, error=exc)
    messages.success(request, message)
    return redirect(_matching_url(program) + "#pairs-heading")


@require_POST
@talent_manager_required
def matching_reassign(request, membership, program_id):
    def action(program, draft, data):
        programs.draft_reassign(
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
    def action(program, draft, data):
        programs.draft_swap(
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
    def action(program, draft, data):
        programs.draft_discard(membership, request.user, draft, version=data["version"])
        return "Draft discarded."

    return _draft_action(request, membership, program_id, VersionForm, action)


@require_POST
@talent_manager_required
def matching_publish(request, membership, program_id):
    program = _program(membership, program_id)
    draft = programs.open_draft(program)
    form = VersionForm(request.POST)
    if draft is None or not form.is_valid():
        error = Conflict("There is no open draft to publish: it was published or discarded meanwhile.")
        return _render_matching(request, membership, program, status=409, error=error)
    try:
        draft = programs.draft_publish(membership, request.user, draft, version=form.cleaned_data["version"])
    except (ValidationFailed, Conflict) as exc:
        return _render_matching(request, membership, program, status=exc.status, error=exc)
    return redirect("dashboard:program_cohort_result", program.pk, draft.pk)


@talent_manager_required
def cohort_result(request, membership, program_id, draft_id):
    program = _program(membership, program_id)
    try:
        draft = programs.access_draft(program, draft_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    if draft.state != CohortDraft.State.PUBLISHED:
        return redirect(_matching_url(program))
    engagements = Paginator(programs.published_engagements(draft), 50).get_page(request.GET.get("page"))
    programs.program_audit(
        membership, request.user, action="program.view_cohort_result", program=program, draft=draft.pk
    )
    return render(
        request,
        "dashboard/programs/result.html",
        {"program": program, "draft": draft, "engagements": engagements},
    )
