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

# questions and answers (messaging/qa_views.py)
from messaging import qa_views  # noqa: E402

urlpatterns += [
    path("questions/", qa_views.question_list, name="questions"),
    path("questions/ask/", qa_views.question_ask, name="question_ask"),
    path("questions/<int:question_id>/", qa_views.question_detail, name="question"),
    path("questions/<int:question_id>/answers/", qa_views.answer_post, name="answer_post"),
    path("questions/<int:question_id>/resolve/", qa_views.question_resolve, name="question_resolve"),
    path(
        "questions/<int:question_id>/answers/<int:answer_id>/accept/",
        qa_views.answer_accept,
        name="answer_accept",
    ),
    path(
        "questions/<int:question_id>/answers/<int:answer_id>/helpful/",
        qa_views.answer_vote,
        name="answer_vote",
    ),
]
