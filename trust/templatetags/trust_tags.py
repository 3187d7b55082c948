"""``{% load trust_tags %}{% trust_card person %}``: the trust card of ``person`` as the
viewer (``request.user``) may see it; renders nothing across workspaces."""

from django import template

from core.errors import NotFound
from trust import selectors

register = template.Library()


@register.inclusion_tag("trust/partials/trust_card.html", takes_context=True)
def trust_card(context, person, details=True):
    request = context.get("request")
    viewer = getattr(request, "user", None)
    try:
        card = selectors.trust_card(viewer, getattr(person, "pk", person), with_details=details)
    except NotFound:
        card = None
    return {"card": card, "show_details": details}
