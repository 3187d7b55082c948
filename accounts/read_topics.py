"""The cached reads of accounts and the writes that make them stale (core.read_cache).

``PEOPLE``: the directory (page and API) of a workspace: who is an active member, their
name, profile, expertise and learning goals, and the workspace's skills and aliases
(also each person's own profile in ``GET /api/me``).
"""

from django.db.models.signals import post_delete, post_save

from core import read_cache

PEOPLE = "people"
_LOGIN_ONLY = frozenset({"last_login"})


def workspaces_of(user_ids) -> set[int]:
    """The workspaces of ``user_ids`` (a topic keyed by workspace bumps these)."""
    from accounts.models import Membership

    return set(
        Membership.objects.filter(user_id__in=list(user_ids)).values_list("organization_id", flat=True)
    )


def shown_change(raw: bool, update_fields) -> bool:
    """A ``post_save`` a cached read can show: not fixture loading, not a login stamp."""
    return (
        not raw
        and read_cache.enabled()
        and not (update_fields is not None and set(update_fields) <= _LOGIN_ONLY)
    )


def people_changed(user_ids) -> None:
    """The directory of the workspaces of ``user_ids`` is stale (bulk writes call this)."""
    if read_cache.enabled():
        read_cache.bump(PEOPLE, workspaces_of(user_ids))


def _person_changed(sender, instance, raw=False, update_fields=None, **kwargs):
    from accounts.models import User

    if shown_change(raw, update_fields):
        people_changed([instance.pk if sender is User else instance.user_id])


def _workspace_changed(sender, instance, raw=False, **kwargs):
    if raw or not read_cache.enabled():
        return
    read_cache.bump(PEOPLE, [instance.organization_id])


def connect() -> None:
    from accounts.models import Expertise, LearningGoal, Membership, Profile, Skill, SkillAlias, User

    receivers = [(model, _person_changed) for model in (User, Profile, Expertise, LearningGoal)]
    receivers += [(model, _workspace_changed) for model in (Membership, Skill, SkillAlias)]
    for model, receiver in receivers:
        for signal, when in ((post_save, "save"), (post_delete, "delete")):
            signal.connect(receiver, sender=model, dispatch_uid=f"read_people_{when}_{model.__name__}")
