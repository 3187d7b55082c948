"""API tokens for scripts (DRF token authentication): one per person."""

from django.db import transaction
from rest_framework.authtoken.models import Token


def api_token_rotate(*, user) -> Token:
    """Replace the user's token with a new one (the old one stops working at once)."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)


def api_token_revoke(*, user) -> None:
    """Delete the user's token, if any (idempotent)."""
    Token.objects.filter(user=user).delete()
