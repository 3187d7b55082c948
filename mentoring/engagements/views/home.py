"""The home page: the landing page for visitors, a member's home otherwise."""

from django.shortcuts import redirect, render

from accounts.access import membership_of


def home(request):
    """Landing page for visitors; a member's home page otherwise."""
    if not request.user.is_authenticated:
        return render(request, "landing.html")
    if membership_of(request) is None:
        return redirect("accounts:workspace_start")
    if request.user.profile.onboarded_at is None:
        return redirect("accounts:onboarding")
    return render(request, "home.html", {"profile": request.user.profile})
