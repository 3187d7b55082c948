# Placeholder views so the skeleton boots; replaced by the profile work.
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def onboarding(request):
    return HttpResponse("onboarding")


@login_required
def directory(request):
    return HttpResponse("directory")


@login_required
def profile_detail(request, user_id):
    return HttpResponse("profile")


@login_required
def profile_edit(request):
    return HttpResponse("profile edit")
