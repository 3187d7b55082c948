"""REST routes for messaging (mounted under /api/)."""

from django.urls import path

from messaging.chat import api
from messaging.notifications import api as notification_api

urlpatterns = [
    path("conversations", api.ConversationListView.as_view(), name="api-conversation-list"),
    path(
        "conversations/<int:conversation_id>", api.ConversationDetailView.as_view(), name="api-conversation"
    ),
    path(
        "conversations/<int:conversation_id>/messages",
        api.MessageListView.as_view(),
        name="api-conversation-messages",
    ),
    path(
        "conversations/<int:conversation_id>/messages/<int:seq>",
        api.MessageDetailView.as_view(),
        name="api-conversation-message",
    ),
    path("conversations/<int:conversation_id>/read", api.ReadView.as_view(), name="api-conversation-read"),
]

# notifications (messaging/notifications/api.py)

urlpatterns += [
    path("notifications", notification_api.NotificationListView.as_view(), name="api-notification-list"),
    path(
        "notifications/unread-count",
        notification_api.UnreadCountView.as_view(),
        name="api-notification-unread",
    ),
    path("notifications/read", notification_api.MarkReadView.as_view(), name="api-notification-read"),
    path(
        "notifications/preferences",
        notification_api.PreferencesView.as_view(),
        name="api-notification-preferences",
    ),
]

# questions and answers (messaging/qa/api.py)
from messaging.qa import api as qa_api  # noqa: E402

urlpatterns += [
    path("questions", qa_api.QuestionListView.as_view(), name="api-question-list"),
    path("questions/preview", qa_api.QuestionPreviewView.as_view(), name="api-question-preview"),
    path("questions/<int:question_id>", qa_api.QuestionDetailView.as_view(), name="api-question"),
    path("questions/<int:question_id>/answers", qa_api.AnswerListView.as_view(), name="api-question-answers"),
    path(
        "questions/<int:question_id>/resolve",
        qa_api.QuestionResolveView.as_view(),
        name="api-question-resolve",
    ),
    path("answers/<int:answer_id>/accept", qa_api.AnswerAcceptView.as_view(), name="api-answer-accept"),
    path("answers/<int:answer_id>/helpful", qa_api.AnswerHelpfulView.as_view(), name="api-answer-helpful"),
]

# ask the network: routing (messaging/routing/api.py)
from messaging.routing import api as routing_api  # noqa: E402

urlpatterns += [
    path(
        "questions/<int:question_id>/routing",
        routing_api.RoutingDetailView.as_view(),
        name="api-question-routing",
    ),
    path(
        "questions/<int:question_id>/routing/pass",
        routing_api.RoutingPassView.as_view(),
        name="api-question-routing-pass",
    ),
    path(
        "questions/<int:question_id>/routing/refer",
        routing_api.RoutingReferView.as_view(),
        name="api-question-routing-refer",
    ),
    path("routing/inbox", routing_api.RoutingInboxView.as_view(), name="api-routing-inbox"),
]
