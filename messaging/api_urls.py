"""REST routes for messaging (mounted under /api/)."""

from django.urls import path

from messaging import api, notification_api

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

# notifications (messaging/notification_api.py)

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
