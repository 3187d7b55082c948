"""Attach the viewer's active membership and workspace to every request."""

from django.utils.functional import SimpleLazyObject


def _membership(request):
    user = request.user
    if not user.is_authenticated:
        return None
    from accounts.models import Membership

    return Membership.objects.select_related("organization").filter(user=user, is_active=True).first()


class WorkspaceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: _membership(request))
        return self.get_response(request)


def membership_of(request):
    """The request's active membership or None (unwraps the lazy object)."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return _membership(request)
    return membership if membership else None
