from accounts.middleware import membership_of


def workspace(request):
    membership = membership_of(request) if hasattr(request, "user") else None
    return {
        "membership": membership,
        "workspace": membership.organization if membership else None,
        "is_talent_manager": bool(membership and membership.is_talent_manager),
    }
