"""The cached reads of accounts and the writes that make them stale (core.read_cache).

``PEOPLE``: the directory (page and API) of a workspace: who is an active member, their
name, profile, expertise and learning goals, and the workspace's skills and aliases
(also each person's own profile in ``GET /api/me``).
"""

from django.db.models.signals import post_delete, post_save

from core import read_cache

PEOPLE = "people"
_LOGIN_ONLY = frozenset({"last_login"})


def _workspaces_of(user_id) -> list[int]:
    from accounts.models import Membership

    return list(Membership.objects.filter(user_id=user_id).values_list("organization_id", flat=True))


def people_changed(user_ids) -> None:
    """The directory of the workspaces of ``user_ids`` is stale (bulk writes call this)."""
    from accounts.models import Membership

    if not read_cache.enabled():
        return
    ids = set(Membership.objects.filter(user_id__in=list(user_ids)).values_list("organization_id", flat=True))
    read_cache.bump(PEOPLE, ids)


def _person_changed(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or not read_cache.enabled():
        return
    if update_fields is not None and set(update_fields) <= _LOGIN_ONLY:
        return
    from accounts.models import User

    user_id = instance.pk if sender is User else instance.user_id
    read_cache.bump(PEOPLE, _workspaces_of(user_id))


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
