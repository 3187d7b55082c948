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


# --- sessions (deactivation ends them all; logout closes the user's sockets) -----------


@receiver(user_logged_in, dispatch_uid="accounts_record_session")
def record_session(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is None or user is None:
        return
    if not session.session_key:
        session.save()
    from accounts.services.workspaces import session_record

    session_record(user=user, session_key=session.session_key)


@receiver(user_logged_out, dispatch_uid="accounts_logout_closes_sockets")
def forget_session(sender, request, user, **kwargs):
    if user is None:
        return
    session = getattr(request, "session", None)
    from accounts.services.workspaces import session_forget

    session_forget(user_id=user.pk, session_key=session.session_key if session is not None else None)
