"""``{% routed_nav %}``: the "For you" link in the nav with the number of routed
questions waiting for the person's reply.

No query per page: the number is rendered by the pages that already know it
(the inbox passes ``routed_pending``); everywhere else static/js/routing.js
fills it from ``/questions/for-you/count/`` and keeps it live. Without
JavaScript the link still leads to the inbox, which shows the number."""

from django import template

register = template.Library()


@register.inclusion_tag("messaging/questions/_for_you_nav.html", takes_context=True)
def routed_nav(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    return {"show": True, "pending": context.get("routed_pending"), "request": request}
