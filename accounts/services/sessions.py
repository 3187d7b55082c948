"""A user's sessions: recording them at login, and the one path that ends them.

``sessions_end`` is the only way Tandem ends a person's sessions. Logout, a
password change or reset, an e-mail change, an MFA change and deactivation all
call it (logout and the credential changes through ``accounts.signals``; other
code, such as deactivation from a directory sync, calls it directly). It ends,
in the caller's transaction:

- every recorded Django session of the user but ``keep_session_key`` (the
  browser that made the change stays signed in), through the session engine;
- the user's API token: deleted, or with ``rotate_token`` replaced by a new one
  (a script holding the old key is refused at once);
- after commit, every open socket of the user but those of the kept session:
  the ``session.revoked`` doorbell on the ``user.<id>`` group closes them with
  4403 (``messaging.sockets.consumers.CLOSE_SESSION_ENDED``; docs/messaging.md).
"""

from datetime import timedelta
from enum import StrEnum
from importlib import import_module

from django.conf import settings
from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts.models import UserSession
from core.clock import now
from core.realtime import send_on_commit, user_group


class SessionEnd(StrEnum):
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (a reason, not a secret)
    PASSWORD_RESET = "password_reset"  # noqa: S105
    EMAIL_CHANGED = "email_changed"
    MFA_CHANGED = "mfa_changed"
    DEACTIVATED = "deactivated"


def session_record(*, user, session_key: str | None) -> None:
    """Remember a session key a user logged in with (called on login)."""
    if not session_key:
        return
    UserSession.objects.update_or_create(session_key=session_key, defaults={"user": user})


def sessions_end(
    *, user_id: int, reason: SessionEnd, keep_session_key: str | None = None, rotate_token: bool = False
) -> int:
    """End every session of the user except ``keep_session_key``, their API token
    (deleted, or replaced when ``rotate_token``) and, after commit, their sockets
    (except the kept session's). Idempotent; call inside or outside a transaction.
    Returns how many sessions were ended."""
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    with transaction.atomic():
        records = UserSession.objects.filter(user_id=user_id)
        if keep_session_key:
            records = records.exclude(session_key=keep_session_key)
        keys = list(records.values_list("session_key", flat=True))
        for key in keys:
            store_class(session_key=key).delete()
        UserSession.objects.filter(session_key__in=keys).delete()
        had_token = Token.objects.filter(user_id=user_id).delete()[0] > 0
        if rotate_token and had_token:
            Token.objects.create(user_id=user_id)
        send_on_commit(
            user_group(user_id),
            {"type": "session.revoked", "keep": keep_session_key, "reason": str(reason)},
        )
    return len(keys)


def sessions_prune(*, older_than: timedelta = timedelta(days=1), batch_size: int = 1000) -> int:
    """Forget recorded session keys whose session has ended (expired, flushed,
    or cleared by ``clearsessions``). Only rows older than ``older_than`` are
    checked. Idempotent; safe to run concurrently. Returns how many were removed."""
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    cutoff = now() - older_than
    removed = 0
    last_id = 0
    while True:
        batch = list(
            UserSession.objects.filter(created_at__lt=cutoff, id__gt=last_id)
            .order_by("id")
            .values_list("id", "session_key")[:batch_size]
        )
        if not batch:
            return removed
        last_id = batch[-1][0]
        ended = []
        for row_id, key in batch:
            store = store_class(session_key=key)
            store.load()  # a missing or expired session leaves the store without a key
            if store.session_key is None:
                ended.append(row_id)
        removed += UserSession.objects.filter(id__in=ended).delete()[0]
