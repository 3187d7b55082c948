"""Every user has a profile from the moment the row exists (true decoupling:
allauth, the admin and createsuperuser all create users)."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts_create_profile")
def create_profile(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        from accounts.models import Profile

        Profile.objects.get_or_create(user=instance)


# --- sessions: recorded at login; every way out goes through sessions_end ----------------


@receiver(user_logged_in, dispatch_uid="accounts_record_session")
def record_session(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is None or user is None:
        return
    if not session.session_key:
        session.save()
    from accounts.services.sessions import session_record

    session_record(user=user, session_key=session.session_key)


def _end_sessions(user, reason, request=None, *, keep_current=True):
    from accounts.services.sessions import session_record, sessions_end

    if user is None or user.pk is None:
        return
    keep = None
    if keep_current and getattr(getattr(request, "user", None), "pk", None) == user.pk:
        # the browser that made the change; Django gave it a new key just now
        keep = request.session.session_key
        session_record(user=user, session_key=keep)
    sessions_end(user_id=user.pk, reason=reason, keep_session_key=keep, rotate_token=reason != "logout")


@receiver(user_logged_out, dispatch_uid="accounts_logout_ends_sessions")
def logout_ends_sessions(sender, request, user, **kwargs):
    """Logout signs the person out everywhere: sessions, sockets and API token."""
    _end_sessions(user, "logout", keep_current=False)


def _connect_credential_changes():
    """Credential changes end the person's other sessions and sockets and rotate
    their API token; the browser that made the change stays signed in."""
    from allauth.account import signals as account
    from allauth.mfa import signals as mfa

    def on(signal, reason):
        def receiver_(sender, request=None, user=None, **kwargs):
            _end_sessions(user, reason, request)

        signal.connect(receiver_, weak=False, dispatch_uid=f"accounts_sessions_end_{reason}_{id(signal)}")

    on(account.password_changed, "password_changed")
    on(account.password_set, "password_changed")
    on(account.password_reset, "password_reset")
    on(account.email_changed, "email_changed")
    on(mfa.authenticator_added, "mfa_changed")
    on(mfa.authenticator_removed, "mfa_changed")
    on(mfa.authenticator_reset, "mfa_changed")
