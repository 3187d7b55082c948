"""Telling people about engagement events.

``notify`` is the one hook every mentoring service calls. Today it sends an
e-mail (console backend in development) once the transaction commits; when
messaging grows its ``Notification`` model and live delivery, this is the only
function to extend. Nothing here runs before the data is durable.
"""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import NoReverseMatch, reverse

logger = logging.getLogger("mentoring.notifications")


def page_link(url_name: str, *args, fallback: str) -> str:
    """The path of a named page, or ``fallback`` while that page does not exist yet
    (the HTML pages come in a later change; mails stay useful meanwhile)."""
    try:
        return reverse(url_name, args=args)
    except NoReverseMatch:
        return fallback


def notify(*, recipients: Iterable, kind: str, subject: str, body: str, link: str = "") -> None:
    """Tell ``recipients`` (users) about ``kind`` after the current transaction commits.

    ``kind`` is a short machine name ("invitation.received", "request.exhausted")
    for the future in-app notification and for logs. ``link`` is a path inside the
    site; it is turned into an absolute URL. Failures to send are logged, never
    raised: the domain change already happened and must not be undone by a mail
    server.
    """
    addresses = sorted({user.email for user in recipients if getattr(user, "email", "")})
    if not addresses:
        return
    text = body
    if link:
        text = f"{body}\n\n{settings.SITE_URL.rstrip('/')}{link}"

    def _send():
        logger.info("notify %s to %d recipient(s): %s", kind, len(addresses), subject)
        for address in addresses:  # one mail each: recipients never see each other
            try:
                send_mail(subject, text, None, [address], fail_silently=False)
            except Exception:  # a mail server problem must not break the flow
                logger.exception("could not send %s notification to %s", kind, address)

    transaction.on_commit(_send)
