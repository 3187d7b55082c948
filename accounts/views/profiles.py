"""HTML views for profiles: onboarding, profile edit, profile page, directory,
skill autocomplete.

Thin adapters: parse a form, call one service or selector, render. Service
errors come back as field errors on the same form (``core.html_errors.run_form``,
status 400); a profile that is missing, deactivated or in another workspace is
one plain 404 (the service's ``NotFound``, mapped by ``DomainErrorMiddleware``).
"""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from accounts import read_topics
from accounts import working_hours as wh
from accounts.access import member_required
from accounts.forms.profiles import (
    AboutForm,
    AvailabilityForm,
    DirectoryFilterForm,
    ExpertiseForm,
    LearningGoalForm,
    RemoveSkillForm,
    WorkStyleForm,
    working_hours_formset,
)
from accounts.selectors import profiles as selectors
from accounts.services import profiles as services
from core import read_cache
from core.clock import now
from core.errors import DomainError, NotFound
from core.html_errors import form_error, run_form

ONBOARDING_STEPS = [
    (1, "About you"),
    (2, "Time zone and hours"),
    (3, "Work style"),
    (4, "Skills"),
]
LAST_STEP = len(ONBOARDING_STEPS)
SKILL_FIELD = {"skill_id": "skill"}  # the services' field name → the forms' one


# --- Section handlers shared by onboarding and the edit page ------------------------
# Each returns the bound form(s) it rendered; ``saved`` tells the caller to redirect.


def _profile_saved(request, form) -> bool:
    return run_form(form, lambda: services.profile_update(user=request.user, **form.cleaned_data)) is not None


def _about_forms(request, *, post: bool):
    profile = request.user.profile
    initial = {"full_name": request.user.full_name, "headline": profile.headline, "bio": profile.bio}
    form = AboutForm(request.POST if post else None, initial=initial)
    saved = post and _profile_saved(request, form)
    return {"about_form": form}, saved


def _availability_forms(request, *, post: bool, onboarding: bool = False):
    profile = request.user.profile
    windows = profile.working_hours
    if onboarding and not windows and profile.onboarded_at is None:
        windows = wh.DEFAULT_WORKING_HOURS  # a sensible start a newcomer can edit
    form = AvailabilityForm(
        request.POST if post else None, initial={"timezone": profile.timezone, "capacity": profile.capacity}
    )
    if profile.onboarded_at is None and profile.timezone == "UTC":
        # Let the browser propose its zone once; the server still validates what comes back.
        form.fields["timezone"].widget.attrs["data-guess-timezone"] = ""
    formset = working_hours_formset(request.POST if post else None, windows=windows)
    hours_errors: list[str] = []
    saved = False
    if post:
        form_ok, formset_ok = form.is_valid(), formset.is_valid()
        if form_ok and formset_ok:
            try:
                services.profile_update(
                    user=request.user,
                    timezone=form.cleaned_data["timezone"],
                    capacity=form.cleaned_data["capacity"],
                    working_hours=formset.windows(),
                )
                saved = True
            except DomainError as error:
                # working_hours is not a field of the form: shown next to the rows instead.
                hours_errors = list(error.fields.pop("working_hours", []))
                if error.fields or not hours_errors:
                    form_error(form, error)
    context = {"availability_form": form, "hours_formset": formset, "hours_errors": hours_errors}
    return context, saved


def _work_style_forms(request, *, post: bool):
    profile = request.user.profile
    initial = {
        name: getattr(profile, name)
        for name in ("work_mode", "cadence", "feedback_style", "open_to_mentor", "seeking", "is_away")
    }
    form = WorkStyleForm(request.POST if post else None, initial=initial)
    saved = post and _profile_saved(request, form)
    return {"work_style_form": form}, saved


def _filled(request, prefix: str) -> bool:
    return bool(
        request.POST.get(f"{prefix}-skill", "").strip() or request.POST.get(f"{prefix}-skill_id", "").strip()
    )


def _save_expertise(request, form) -> bool:
    def save():
        data = form.cleaned_data
        return services.expertise_set(
            user=request.user,
            skill_id=data["skill_id"] or None,
            skill_name=data["skill"],
            level=data["level"],
            years=data["years"],
        )

    return run_form(form, save, rename=SKILL_FIELD) is not None


def _save_goal(request, form) -> bool:
    def save():
        data = form.cleaned_data
        return services.learning_goal_add(
            user=request.user, skill_id=data["skill_id"] or None, skill_name=data["skill"], note=data["note"]
        )

    return run_form(form, save, rename=SKILL_FIELD) is not None


def _skills_forms(request, *, action: str | None):
    """Expertise and learning goals. ``action`` is the submitted button (None for a GET).

    The expertise and goal fields share one form, so whichever button is
    pressed (or Enter), everything typed into either part is saved — a skill
    typed before pressing "Finish" is never silently dropped. Removal buttons
    post their own small forms. Returns (context, ok): ok is False when
    something was rejected and the page must show it.
    """
    expertise_form = ExpertiseForm(prefix="exp")
    goal_form = LearningGoalForm(prefix="goal")
    remove_error = None
    ok = True
    if action in ("expertise_add", "goal_add", "finish"):
        fill_expertise = _filled(request, "exp") or (
            action == "expertise_add" and not _filled(request, "goal")
        )
        fill_goal = _filled(request, "goal") or (action == "goal_add" and not _filled(request, "exp"))
        if fill_expertise:
            bound = ExpertiseForm(request.POST, prefix="exp")
            if not _save_expertise(request, bound):
                expertise_form, ok = bound, False
        if fill_goal:
            bound = LearningGoalForm(request.POST, prefix="goal")
            if not _save_goal(request, bound):
                goal_form, ok = bound, False
    elif action in ("expertise_remove", "goal_remove"):
        form = RemoveSkillForm(request.POST)
        remove = services.expertise_remove if action == "expertise_remove" else services.learning_goal_remove
        # A removal button has no form to re-render: its error is shown above the lists.
        try:
            if not form.is_valid():
                raise NotFound("That skill was not found.")
            remove(user=request.user, skill_id=form.cleaned_data["skill_id"])
        except DomainError as error:
            remove_error, ok = error.message, False
    user = request.user
    context = {
        "expertise_form": expertise_form,
        "goal_form": goal_form,
        "remove_error": remove_error,
        "my_expertise": user.expertise.select_related("skill").order_by("-level", "skill__name"),
        "my_goals": user.learning_goals.select_related("skill").order_by("skill__name"),
    }
    return context, ok


SKILL_ACTIONS = ("expertise_add", "expertise_remove", "goal_add", "goal_remove")


# --- Onboarding ------------------------------------------------------------------


@member_required
def onboarding(request):
    return redirect("accounts:onboarding_step", step=1)


@member_required
def onboarding_step(request, step: int):
    """Four steps; each POST saves through the profile services and moves on.
    Finishing marks the profile onboarded and goes home."""
    if not 1 <= step <= LAST_STEP:
        raise Http404("No such onboarding step.")
    post = request.method == "POST"
    if step == 1:
        context, saved = _about_forms(request, post=post)
    elif step == 2:
        context, saved = _availability_forms(request, post=post, onboarding=True)
    elif step == 3:
        context, saved = _work_style_forms(request, post=post)
    else:
        action = request.POST.get("action") if post else None
        if post and action not in (*SKILL_ACTIONS, "finish"):
            return redirect("accounts:onboarding_step", step=4)
        context, ok = _skills_forms(request, action=action)
        saved = post and ok
        if saved and action == "finish":
            services.profile_complete_onboarding(user=request.user)
            messages.success(request, "Welcome to Tandem — your profile is ready.")
            return redirect("home")
        if saved:  # added or removed something: show step 4 again
            return redirect("accounts:onboarding_step", step=4)
    if saved:
        return redirect("accounts:onboarding_step", step=step + 1)
    context.update(
        {
            "step": step,
            "step_title": dict(ONBOARDING_STEPS)[step],
            "steps": ONBOARDING_STEPS,
            "last_step": LAST_STEP,
            "previous_step": step - 1 if step > 1 else None,
        }
    )
    return render(request, "accounts/onboarding.html", context, status=400 if post and not saved else 200)


# --- Profile edit ------------------------------------------------------------------

EDIT_SECTIONS = {"about", "availability", "work_style", *SKILL_ACTIONS}


@member_required
def profile_edit(request):
    """All profile sections on one page; each section is its own form."""
    post = request.method == "POST"
    section = request.POST.get("section") if post else None
    if post and section not in EDIT_SECTIONS:
        messages.error(request, "That form is out of date; please try again.")
        return redirect("accounts:profile_edit")
    context: dict = {}
    saved = False
    about, ok = _about_forms(request, post=section == "about")
    context.update(about)
    saved |= ok
    availability, ok = _availability_forms(request, post=section == "availability")
    context.update(availability)
    saved |= ok
    work_style, ok = _work_style_forms(request, post=section == "work_style")
    context.update(work_style)
    saved |= ok
    skills, ok = _skills_forms(request, action=section if section in SKILL_ACTIONS else None)
    context.update(skills)
    saved |= ok and section in SKILL_ACTIONS
    if saved:
        messages.success(request, "Saved.")
        anchor = "skills" if section in SKILL_ACTIONS else section.replace("_", "-")
        return redirect(f"{reverse('accounts:profile_edit')}#{anchor}")
    context["profile"] = request.user.profile
    return render(request, "accounts/profile_edit.html", context, status=400 if post else 200)


# --- Profile page --------------------------------------------------------------------


def _hours_by_day(windows) -> list[tuple[str, list[dict]]]:
    days: list[tuple[str, list[dict]]] = [(name, []) for name in wh.DAY_NAMES]
    for window in windows or []:
        days[window["day"]][1].append(window)
    return [(name, day_windows) for name, day_windows in days if day_windows]


@member_required
def profile_detail(request, user_id: int):
    profile = selectors.access_profile(request.user, user_id)
    moment = now()
    is_me = profile.user_id == request.user.pk
    overlap = None
    if not is_me:
        overlap = wh.overlap_hours(request.user.profile.utc_week_mask, profile.utc_week_mask)
    return render(
        request,
        "accounts/profile_detail.html",
        {
            "profile": profile,
            "person": profile.user,
            "local_time": moment.astimezone(ZoneInfo(profile.timezone)),
            "working_now": wh.is_working_at(profile.utc_week_mask, moment),
            "hours_by_day": _hours_by_day(profile.working_hours),
            "is_me": is_me,
            "overlap_with_me": overlap,
        },
    )


# --- Directory --------------------------------------------------------------------


def _is_htmx_partial(request) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


@member_required
@require_GET
def directory(request):
    """Search and filter the workspace's people. An htmx request gets only the
    results region; everything else the full page (so it works without JS).

    A valid search's filters and results are kept in the read cache
    (``core.read_cache``, topic ``people``): every member of the workspace sees the same
    directory, so the key is the query string, plus the viewer's own hours when the
    overlap filter asks for them. An invalid one is worked out every time (its errors
    name the viewer's input)."""
    own_mask = request.user.profile.utc_week_mask if request.GET.get("overlap") else None
    organization_id = request.membership.organization_id if request.membership else None
    entry = read_cache.Entry(
        read_topics.PEOPLE, organization_id, ("directory", read_cache.query_parts(request.GET), own_mask)
    )
    filters, results, valid = entry.fetch(
        lambda: _directory_regions(request), keep=lambda regions: regions[2]
    )
    if _is_htmx_partial(request):
        response = HttpResponse(results, status=200 if valid else 400)
    else:
        context = {"filters": filters, "results": results}
        response = render(request, "accounts/directory.html", context, status=200 if valid else 400)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _directory_regions(request) -> tuple[str, str, bool]:
    """(filters HTML, results HTML, valid) of the directory for this request."""
    form = DirectoryFilterForm(request.GET or None, skills=selectors.workspace_skill_choices(request.user))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "query_string": query.urlencode(),
        "has_filters": any(v for k, v in request.GET.items() if k != "page"),
        "page": None,
    }
    valid = not request.GET or form.is_valid()
    if valid:
        kwargs = form.selector_kwargs() if request.GET else {}
        profiles = selectors.directory_profiles(request.user, **kwargs)
        context["page"] = Paginator(profiles, settings.TANDEM_DIRECTORY_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        context["has_hours"] = request.user.profile.utc_week_mask.strip("0") != ""
    filters = render_to_string("accounts/partials/directory_filters.html", context, request)
    results = render_to_string("accounts/partials/directory_results.html", context, request)
    return filters, results, valid


# --- Skill autocomplete ------------------------------------------------------------


@member_required
@require_GET
def skills_autocomplete(request):
    """<option>s for a <datalist>: the workspace's skills matching ``q`` (or the
    value of the field that asked, e.g. ``exp-skill``) by name or alias."""
    q = request.GET.get("q")
    if q is None:
        q = next((value for key, value in request.GET.items() if key.endswith("skill")), "")
    skills = selectors.skills_autocomplete(request.user, q)
    return render(request, "accounts/partials/skill_options.html", {"skills": skills})
