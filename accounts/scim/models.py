"""SCIM tokens and identities (imported into ``accounts.models``)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from core.clock import now


class ScimToken(models.Model):
    """A workspace's bearer token for its identity provider's SCIM client. Only the
    SHA-256 digest is kept; the token itself is shown once, when it is created."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="scim_tokens"
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=12, editable=False)
    note = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"SCIM token {self.prefix}… of {self.organization}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ScimIdentity(models.Model):
    """A person as their workspace's identity provider provisioned them. ``version`` grows
    with every SCIM write and is the resource's ETag. A deleted resource keeps its row
    (``deleted_at``) so the person's history stays; SCIM answers 404 for it."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scim_identity"
    )
    scim_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user_name = models.CharField(max_length=254)
    external_id = models.CharField(max_length=254, blank=True)
    given_name = models.CharField(max_length=150, blank=True)
    family_name = models.CharField(max_length=150, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "SCIM identities"
        constraints = [
            models.UniqueConstraint(
                "organization",
                Lower("user_name"),
                condition=Q(deleted_at__isnull=True),
                name="scim_user_name_unique_per_org_ci",
            ),
        ]

    def __str__(self):
        return f"{self.user_name} (SCIM) in {self.organization}"

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'
