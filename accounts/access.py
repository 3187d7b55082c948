"""Who may do what: the one home for membership, role and workspace checks.

Every check elsewhere builds on these functions: the HTML decorators below, the DRF
permissions in ``accounts.permissions`` and the selectors' object access functions
(``access_engagement``, ``access_conversation``, ...), which scope a fetch to the
viewer's workspace and answer one "not found" for missing and not-yours.

The request's membership is loaded once per request by ``WorkspaceMiddleware``
(``request.membership``, lazy); ``membership_of`` reads it and never queries twice.
During a read (GET, HEAD, OPTIONS) ``active_membership(request.user)`` from a
selector or service answers from the same request-scoped value, so a page that asks
five times costs one query; writes read the row afresh (a role or membership changed
by the write is seen by the checks that follow it).
"""

from contextvars import ContextVar
from functools import wraps

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject

from core.errors import PermissionDenied

FORBIDDEN_TEMPLATE = "accounts/workspace_forbidden.html"


def _load_membership(user):
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    from accounts.models import Membership

    return Membership.objects.select_related("organization").filter(user=user, is_active=True).first()


# The request being read (set by ``WorkspaceMiddleware`` for safe methods only): a
# context variable, so every request (thread or async task) sees only its own.
_reading_request: ContextVar = ContextVar("accounts_reading_request", default=None)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def bind_read_request(request):
    """Make ``request``'s membership the answer of ``active_membership`` for its user
    until ``unbind_read_request(token)``; None (nothing bound) for unsafe methods."""
    if request.method not in SAFE_METHODS:
        return None
    return _reading_request.set(request)


def unbind_read_request(token) -> None:
    if token is not None:
        _reading_request.reset(token)


def lazy_membership(request):
    """The value ``WorkspaceMiddleware`` puts on ``request.membership``: loaded on first use."""
    return SimpleLazyObject(lambda: _load_membership(request.user))


def membership_of(request):
    """The request's active membership (with its workspace) or None, loaded at most once."""
    membership = getattr(request, "membership", None)
    if membership is None:
        membership = _load_membership(request.user)
        request.membership = membership
        return membership
    return membership if membership else None


def active_membership(user):
    """A user's active membership (with its workspace), or None. For code without a request
    (services, consumers, tasks); a view reads ``membership_of(request)`` instead. Inside a
    read request for the same user it is the request's membership (no second query)."""
    request = _reading_request.get()
    if request is not None and user is not None and user.pk is not None:
        request_user = getattr(request, "user", None)
        if request_user is not None and request_user.pk == user.pk:
            return membership_of(request)
    return _load_membership(user)


def is_talent_manager(membership) -> bool:
    return bool(membership and membership.is_active and membership.is_talent_manager)


def require_membership(user):
    """The acting user's active membership; ``PermissionDenied`` without one."""
    membership = active_membership(user)
    if membership is None:
        raise PermissionDenied("You need an active workspace membership to do this.")
    return membership


def require_talent_manager(user):
    """The acting talent manager's membership; ``PermissionDenied`` for anyone else."""
    membership = active_membership(user)
    if not is_talent_manager(membership):
        raise PermissionDenied("Only a talent manager of this workspace can do that.")
    return membership


def is_talent_manager_of(user, organization_id: int) -> bool:
    """True when ``user`` is an active talent manager of that workspace."""
    membership = active_membership(user)
    return is_talent_manager(membership) and membership.organization_id == organization_id


# --- HTML decorators ---------------------------------------------------------------------
# Domain errors a view lets through are mapped by ``core.html_errors.DomainErrorMiddleware``
# (NotFound → 404 page, PermissionDenied → 403 page, others → the page with the message).


def _to_login(request):
    # Imported here: auth's views pull in its forms and the user model, and every app
    # imports this module.
    from django.contrib.auth.views import redirect_to_login

    return redirect_to_login(request.get_full_path())  # settings.LOGIN_URL, ``next`` quoted


def member_required(view):
    """Signed in with an active workspace membership; otherwise to the login page or
    to "start a workspace"."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return _to_login(request)
        if membership_of(request) is None:
            return redirect("accounts:workspace_start")
        return view(request, *args, **kwargs)

    return wrapper


def talent_manager_required(view):
    """Signed in, in a workspace and a talent manager of it — or the workspace's 403 page.
    The view receives the manager's membership as its second argument."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return _to_login(request)
        membership = membership_of(request)
        if membership is None:
            messages.info(request, "Create or join a workspace first.")
            return redirect("accounts:workspace_start")
        if not membership.is_talent_manager:
            return render(request, FORBIDDEN_TEMPLATE, status=403)
        return view(request, membership, *args, **kwargs)

    return wrapper
