"""Every user has a profile from the moment the row exists (true decoupling:
allauth, the admin and createsuperuser all create users)."""

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts_create_profile")
def create_profile(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        from accounts.models import Profile

        Profile.objects.get_or_create(user=instance)
