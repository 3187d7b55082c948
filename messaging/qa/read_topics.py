"""The cached reads of questions and the writes that make them stale (core.read_cache).

``QUESTIONS``: the question list and search (page and API) of a workspace: questions,
their skills, answers and answer counts, and the names shown beside them (authors,
engagement titles). Who may see an engagement's questions is not part of the topic:
the cached reads are keyed by the viewer's current engagements.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts import read_topics
from core import read_cache

QUESTIONS = "questions"


def questions_changed(organization_ids) -> None:
    read_cache.bump(QUESTIONS, organization_ids)


def _question_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        questions_changed([instance.organization_id])


def _answer_changed(sender, instance, raw=False, **kwargs):
    from messaging.models import Question

    if raw or not read_cache.enabled():
        return
    questions_changed(
        Question.objects.filter(pk=instance.question_id).values_list("organization_id", flat=True)
    )


def _skills_changed(sender, instance, action, reverse=False, pk_set=None, **kwargs):
    from messaging.models import Question

    if not action.startswith("post_") or not read_cache.enabled():
        return
    if reverse:  # from the skill's side: the questions of ``pk_set``
        ids = Question.objects.filter(pk__in=pk_set or ()).values_list("organization_id", flat=True)
        questions_changed(set(ids))
    else:
        questions_changed([instance.organization_id])


def _engagement_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        questions_changed([instance.organization_id])


def _person_changed(sender, instance, raw=False, update_fields=None, **kwargs):
    if read_topics.shown_change(raw, update_fields):
        questions_changed(read_topics.workspaces_of([instance.pk]))


def connect() -> None:
    from accounts.models import User
    from mentoring.models import Engagement
    from messaging.models import Answer, Question

    for model, receiver in (
        (Question, _question_changed),
        (Answer, _answer_changed),
        (Engagement, _engagement_changed),
    ):
        post_save.connect(receiver, sender=model, dispatch_uid=f"read_questions_save_{model.__name__}")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"read_questions_delete_{model.__name__}")
    post_save.connect(_person_changed, sender=User, dispatch_uid="read_questions_save_User")
    m2m_changed.connect(_skills_changed, sender=Question.skills.through, dispatch_uid="read_questions_skills")
