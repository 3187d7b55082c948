"""Meaning vectors of questions and of people's expertise (docs/messaging.md "Routing by
meaning"), stored as little-endian float32 bytes (``core.embeddings.to_bytes``): the same
column type on PostgreSQL and SQLite, read into a per-workspace in-memory index
(``messaging.routing.index``). Registered with the messaging app by the import at the
end of ``messaging.models``; written only by ``messaging.routing.profiles``."""

from django.conf import settings
from django.db import models

from core.clock import now


class QuestionVector(models.Model):
    """The embedding of a question's title and body (written when it is routed, or by the
    worker for older questions)."""

    question = models.OneToOneField("messaging.Question", on_delete=models.CASCADE, related_name="vector")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    vector = models.BinaryField()
    created_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [models.Index(fields=["organization", "question"], name="question_vector_org")]

    def __str__(self):
        return f"vector of question {self.question_id}"


class ExpertiseVector(models.Model):
    """One person's expertise in one workspace: the embedding of their declared skills,
    headline and bio blended with the questions they answered well; refreshed by the
    worker (``messaging.routing_refresh_expertise``) when any of those change."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    vector = models.BinaryField()
    answered_well = models.PositiveIntegerField(default=0)  # accepted, helpful or on time
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="expertise_vector_once"),
        ]
        # the in-memory index loads a workspace's rows changed since it last looked
        indexes = [models.Index(fields=["organization", "updated_at"], name="expertise_vector_org_updated")]

    def __str__(self):
        return f"expertise of {self.user_id} in {self.organization_id}"
