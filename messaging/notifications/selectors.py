"""Reads of notifications, always the viewer's own."""

from django.db.models import QuerySet

from core.errors import NotFound
from messaging.models import Notification


def notifications_for(user) -> QuerySet[Notification]:
    """The person's notifications, newest first (no joins needed to show them)."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def access_notification(user, notification_id) -> Notification:
    """One of the person's own notifications; someone else's is "not found" too."""
    try:
        return Notification.objects.get(pk=int(notification_id), recipient=user)
    except (TypeError, ValueError, Notification.DoesNotExist):
        raise NotFound("No such notification.") from None


def notification_data(notification: Notification) -> dict:
    """A notification as the REST API shows it (docs/messaging.md "Notifications")."""
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "link": notification.link,
        "created_at": notification.created_at.isoformat(),
        "read_at": notification.read_at.isoformat() if notification.read_at else None,
    }
