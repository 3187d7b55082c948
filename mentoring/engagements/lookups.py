"""Resolving ids that people send (mentors, participants, skills) inside the
viewer's workspace, for the API and the pages.

An id from another workspace reads exactly like one that does not exist, and
the error never names anyone outside the viewer's workspace.
"""

from collections.abc import Iterable

from accounts.access import require_membership
from accounts.models import Skill, User
from core.errors import ValidationFailed


def _as_ids(values: Iterable, *, field: str, what: str) -> list[int]:
    try:
        return [int(v) for v in values]
    except (TypeError, ValueError):
        raise ValidationFailed(
            f"Some {what} are not valid ids.", fields={field: [f"Send the numeric ids of {what}."]}
        ) from None


def workspace_people(viewer, ids: Iterable, *, field: str) -> list[User]:
    """Active members of the viewer's workspace with these ids, in the order given
    (duplicates kept, so services can name them). Unknown ids → ValidationFailed on ``field``."""
    membership = require_membership(viewer)
    wanted = _as_ids(ids, field=field, what="people")
    found = {
        user.pk: user
        for user in User.objects.filter(
            pk__in=wanted,
            membership__organization_id=membership.organization_id,
            membership__is_active=True,
        ).select_related("membership", "profile")
    }
    missing = [pk for pk in dict.fromkeys(wanted) if pk not in found]
    if missing:
        raise ValidationFailed(
            "Some people are not members of your workspace.",
            fields={field: [f"No such person in your workspace: {', '.join(map(str, missing))}."]},
        )
    return [found[pk] for pk in wanted]


def workspace_skills(viewer, ids: Iterable, *, field: str = "skills") -> list[Skill]:
    """Skills of the viewer's workspace with these ids (distinct, order kept).
    Unknown ids or ids of another workspace → ValidationFailed on ``field``."""
    membership = require_membership(viewer)
    wanted = list(dict.fromkeys(_as_ids(ids, field=field, what="skills")))
    found = Skill.objects.filter(organization_id=membership.organization_id).in_bulk(wanted)
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise ValidationFailed(
            "Some skills do not exist in your workspace.",
            fields={field: ["Choose skills from your workspace's list."]},
        )
    return [found[pk] for pk in wanted]
