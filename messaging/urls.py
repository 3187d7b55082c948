"""HTML routes for chat (namespace "messaging")."""

from django.urls import path

from messaging import notification_views, views

app_name = "messaging"

urlpatterns = [
    path("conversations/<int:conversation_id>/", views.conversation_page, name="conversation"),
    path("conversations/<int:conversation_id>/send/", views.message_send, name="send"),
]

# notifications (messaging/notification_views.py)
urlpatterns += [
    path("notifications/", notification_views.notification_list, name="notifications"),
    path("notifications/read/", notification_views.mark_read, name="notifications_read"),
    path("notifications/preferences/", notification_views.preferences, name="notification_preferences"),
    path(
        "notifications/<int:notification_id>/open/",
        notification_views.open_notification,
        name="notification_open",
    ),
]
