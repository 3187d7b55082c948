"""Telling people about engagement events.

``notify`` is the one hook every mentoring service calls. It stores an in-app
``messaging.models.Notification`` per recipient; the live frame and the e-mail
(when unread for a while, see ``messaging.notifications.services``) go out only after
the transaction commits.
"""

import logging
from collections.abc import Iterable

from django.urls import NoReverseMatch, reverse

logger = logging.getLogger("messaging.notifications.notify")


def page_link(url_name: str, *args, fallback: str) -> str:
    """The path of a named page, or ``fallback`` while that page does not exist yet
    (the HTML pages come in a later change; mails stay useful meanwhile)."""
    try:
        return reverse(url_name, args=args)
    except NoReverseMatch:
        return fallback


def notify(*, recipients: Iterable, kind: str, subject: str, body: str, link: str = "") -> None:
    """Tell ``recipients`` (users) about ``kind``: an in-app notification each
    (``messaging.notifications.services.notification_create``), delivered live after the
    transaction commits and e-mailed when still unread after the person's delay.

    ``kind`` is a short machine name ("invitation.received", "request.exhausted");
    its prefix picks the preference group. ``link`` is a path inside the site.
    Delivery failures (socket, broker, mail server) are logged, never raised: the
    domain change already happened and must not be undone by them.
    """
    from messaging.notifications.services import notification_create

    people = [user for user in recipients if getattr(user, "pk", None) is not None]
    if not people:
        return
    logger.info("notify %s to %d recipient(s): %s", kind, len(people), subject)
    notification_create(recipients=people, kind=kind, title=subject, body=body, link=link)
