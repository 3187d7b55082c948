"""The home page: the landing page for visitors, a member's home otherwise."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts.access import member_required, membership_of
from core import clock
from mentoring.engagements.needs_me import needs_me


def home(request):
    """Landing page for visitors; a member's home page otherwise."""
    if not request.user.is_authenticated:
        return render(request, "landing.html")
    if membership_of(request) is None:
        return redirect("accounts:workspace_start")
    if request.user.profile.onboarded_at is None:
        return redirect("accounts:onboarding")
    profile = request.user.profile
    return render(request, "home.html", {"profile": profile, "first_run": not profile.headline})


@member_required
@require_GET
def needs_me_panel(request):
    """Home's engagement items (invitations, commitments, feedback, endings), a partial
    that static/js/home.js reloads when something changes."""
    now = clock.now()
    return render(
        request,
        "mentoring/partials/needs_me.html",
        {
            "needs": needs_me(request.user, now=now),
            "now": now,
            "viewer_tz": request.user.profile.timezone or "UTC",
        },
    )
