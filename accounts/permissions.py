"""DRF permissions, built on the same functions as the HTML decorators (``accounts.access``)."""

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from accounts.access import is_talent_manager, membership_of
from accounts.mfa_policy import MFA_REQUIRED_CODE, MFA_REQUIRED_MESSAGE, mfa_missing


class IsWorkspaceMember(BasePermission):
    """Authenticated, active, and a member of a workspace. Object-level scoping
    happens in selectors (one "not found" for missing and not-yours)."""

    message = "You need to be a member of a workspace to use this endpoint."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        membership = membership_of(request)
        request.membership = membership
        if membership is not None and mfa_missing(membership):  # the workspace security policy
            raise PermissionDenied(MFA_REQUIRED_MESSAGE, code=MFA_REQUIRED_CODE)
        return membership is not None


class IsTalentManager(IsWorkspaceMember):
    message = "Only talent managers can do this."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and is_talent_manager(request.membership)
