"""``{% notification_bell %}``: the bell in the nav with the unread count, rendered
on the server so it works without JavaScript (static/js/notifications.js keeps it
live). One COUNT query per page for signed-in people, none for anyone else."""

from django import template

from messaging.notifications.selectors import unread_count

register = template.Library()


@register.inclusion_tag("messaging/notifications_bell.html", takes_context=True)
def notification_bell(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    return {"show": True, "unread": unread_count(user), "request": request}
