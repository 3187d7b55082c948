"""Template context: the viewer's workspace, read through ``accounts.access``."""

from accounts.access import is_talent_manager, membership_of


def workspace(request):
    membership = membership_of(request) if hasattr(request, "user") else None
    return {
        "membership": membership,
        "workspace": membership.organization if membership else None,
        "is_talent_manager": is_talent_manager(membership),
    }
