# Placeholder views so the skeleton boots; replaced by the workspace work.
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def workspace_start(request):
    return HttpResponse("workspace start")


@login_required
def workspace_members(request):
    return HttpResponse("members")


def invite_accept(request, token):
    return HttpResponse("invite")
