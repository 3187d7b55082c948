"""HTML adapters for the dashboard's skills, network, attention and export pages
(namespace "dashboard"; the overview lives in ``dashboard.views.overview``).

Each view: talent managers only (``accounts.access.talent_manager_required``: a member
gets the workspace's 403 page), parse and validate the query or form, read through the
selector module, write one audit row (``dashboard.audit``), render. Ids from another
workspace are a 404 (the ``NotFound`` goes to ``core.html_errors``). Attention actions
are POST forms that go through ``dashboard.actions``.
"""

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.access import talent_manager_required
from core.csv_stream import csv_response
from core.errors import DomainError, NotFound
from dashboard import actions as dashboard_actions
from dashboard import attention as dashboard_attention
from dashboard import exports as dashboard_exports
from dashboard import network as dashboard_network
from dashboard import skill_detail as dashboard_skill_detail
from dashboard import skills as dashboard_skills
from dashboard.audit import audit_dashboard
from dashboard.forms import AttentionForm, PeriodForm
from dashboard.period import Period, resolve_period

SKILLS_PER_PAGE = 50
INSIGHT_DEFAULT_DAYS = 90


def _period(request) -> tuple[PeriodForm, Period | None]:
    """The period of the query string (default: the last 90 days) and its form."""
    if request.GET.get("period") or request.GET.get("start") or request.GET.get("end"):
        form = PeriodForm(request.GET)
        return form, form.period_or_errors()
    form = PeriodForm(initial={"period": str(INSIGHT_DEFAULT_DAYS)})
    return form, resolve_period(days=INSIGHT_DEFAULT_DAYS)


def _period_query(period: Period) -> str:
    if period.preset_days:
        return f"period={period.preset_days}"
    last_day = period.end - timedelta(days=1)
    return f"period=custom&start={period.start:%Y-%m-%d}&end={last_day:%Y-%m-%d}"


# --- skills ---------------------------------------------------------------------------------------


@require_GET
@talent_manager_required
def skills(request, membership):
    form, period = _period(request)
    if period is None:
        return render(request, "dashboard/skills.html", {"form": form}, status=400)
    rows = dashboard_skills.skills_supply_demand(membership, period)
    page = Paginator(rows, SKILLS_PER_PAGE).get_page(request.GET.get("page"))
    audit_dashboard(request.user, membership, action="dashboard.view_skills", period=period)
    return render(
        request,
        "dashboard/skills.html",
        {
            "form": form,
            "period": period,
            "page": page,
            "query": _period_query(period),
            "total_skills": len(rows),
        },
    )


@require_GET
@talent_manager_required
def skill_detail(request, membership, skill_id: int):
    skill = dashboard_skill_detail.access_skill(membership, skill_id)
    form, period = _period(request)
    if period is None:
        return render(request, "dashboard/skill_detail.html", {"form": form, "skill": skill}, status=400)
    detail = dashboard_skill_detail.skill_detail(membership, skill, period)
    audit_dashboard(
        request.user,
        membership,
        action="dashboard.view_skill",
        period=period,
        target_type="skill",
        target_id=skill.pk,
    )
    return render(
        request,
        "dashboard/skill_detail.html",
        {"form": form, "period": period, "skill": skill, "detail": detail, "query": _period_query(period)},
    )


# --- network --------------------------------------------------------------------------------------


@require_GET
@talent_manager_required
def network(request, membership):
    form, period = _period(request)
    if period is None:
        return render(request, "dashboard/network.html", {"form": form}, status=400)
    net = dashboard_network.network(membership, period)
    audit_dashboard(request.user, membership, action="dashboard.view_network", period=period)
    return render(
        request,
        "dashboard/network.html",
        {
            "form": form,
            "period": period,
            "summary": dashboard_network.network_summary(net),
            "api_url": reverse("api-manage-network") + "?" + _period_query(period),
        },
    )


# --- attention ------------------------------------------------------------------------------------


ACTIONS = ("nudge", "extend", "close", "reassign")


def _attention_page(request, membership, *, days: int, form: AttentionForm, error=None, status=200):
    sections = dashboard_attention.attention(membership, idle_days=days)
    return render(
        request,
        "dashboard/attention.html",
        {"form": form, "days": days, "sections": sections, "error": error},
        status=status,
    )


@require_GET
@talent_manager_required
def attention(request, membership):
    form = AttentionForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "dashboard/attention.html", {"form": form}, status=400)
    days = (form.cleaned_data.get("days") if request.GET else None) or dashboard_attention.DEFAULT_IDLE_DAYS
    audit_dashboard(request.user, membership, action="dashboard.view_attention", details={"idle_days": days})
    return _attention_page(request, membership, days=days, form=AttentionForm(initial={"days": days}))


@require_POST
@talent_manager_required
def attention_act(request, membership, action: str):
    if action not in ACTIONS:
        raise Http404("No such action.")
    data = request.POST
    try:
        days = int(data.get("idle_days") or dashboard_attention.DEFAULT_IDLE_DAYS)
    except ValueError:
        days = dashboard_attention.DEFAULT_IDLE_DAYS
    days = min(max(days, 1), dashboard_attention.MAX_IDLE_DAYS)
    try:
        if action == "nudge":
            told = dashboard_actions.attention_nudge(
                manager=request.user,
                target=data.get("target", ""),
                target_id=data.get("target_id"),
                note=data.get("note", ""),
            )
            result = f"Nudge sent to {told} {'person' if told == 1 else 'people'}."
        elif action == "extend":
            engagement = dashboard_actions.attention_extend(
                manager=request.user,
                engagement_id=data.get("engagement_id"),
                days=data.get("days"),
                reason=data.get("reason", ""),
            )
            result = f"“{engagement.title}” now ends on {engagement.ends_at:%Y-%m-%d}."
        elif action == "close":
            engagement = dashboard_actions.attention_close(
                manager=request.user, engagement_id=data.get("engagement_id"), reason=data.get("reason", "")
            )
            result = f"“{engagement.title}” was cancelled; its participants were told."
        else:
            req = dashboard_actions.attention_reassign(
                manager=request.user, invitation_id=data.get("invitation_id"), reason=data.get("reason", "")
            )
            result = (
                "The request moved on to the seeker's next choice."
                if req.state == req.State.INVITING
                else "No choice was left: the request is exhausted and the seeker was told."
            )
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise  # the 404 page (core.html_errors), not the list
        details = [f"{message}" for messages_ in exc.fields.values() for message in messages_]
        error = {"message": exc.message, "details": details, "action": action}
        return _attention_page(
            request,
            membership,
            days=days,
            form=AttentionForm(initial={"days": days}),
            error=error,
            status=exc.status,
        )
    messages.success(request, result)
    return redirect(f"{reverse('dashboard:attention')}?days={days}")


# --- exports --------------------------------------------------------------------------------------


@require_GET
@talent_manager_required
def exports(request, membership):
    form, period = _period(request)
    if period is None:
        return render(request, "dashboard/exports.html", {"form": form}, status=400)
    audit_dashboard(request.user, membership, action="dashboard.view_exports")
    return render(
        request, "dashboard/exports.html", {"form": form, "period": period, "query": _period_query(period)}
    )


def _export_period_or_400(request):
    form, period = _period(request)
    if period is None:
        return form, None, render(request, "dashboard/exports.html", {"form": form}, status=400)
    return form, period, None


@require_GET
@talent_manager_required
def export_participation(request, membership):
    _form, period, failed = _export_period_or_400(request)
    if failed:
        return failed
    audit_dashboard(request.user, membership, action="dashboard.export_participation", period=period)
    return csv_response(
        request,
        dashboard_exports.participation_csv(membership, period),
        f"participation-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv",
    )


@require_GET
@talent_manager_required
def export_kpis(request, membership):
    form, period, failed = _export_period_or_400(request)
    if failed:
        return failed
    bucket = request.GET.get("bucket") or "week"
    if bucket not in dashboard_exports.BUCKETS:
        form.add_error(None, "Choose KPI buckets per week or per month.")
        return render(request, "dashboard/exports.html", {"form": form, "bucket_error": True}, status=400)
    audit_dashboard(
        request.user, membership, action="dashboard.export_kpis", period=period, details={"bucket": bucket}
    )
    return csv_response(
        request,
        dashboard_exports.kpi_csv(membership, period, bucket),
        f"kpis-{bucket}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv",
    )


@require_GET
@talent_manager_required
def export_skills(request, membership):
    _form, period, failed = _export_period_or_400(request)
    if failed:
        return failed
    audit_dashboard(request.user, membership, action="dashboard.export_skills", period=period)
    return csv_response(
        request,
        dashboard_exports.skills_csv(membership, period),
        f"skills-gaps-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv",
    )
