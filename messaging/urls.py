"""HTML routes for chat (namespace "messaging")."""

from django.urls import path

from messaging.chat import views
from messaging.notifications import views as notification_views
from messaging.qa import views as qa_views
from messaging.routing import views as routing_views

app_name = "messaging"

urlpatterns = [
    path("conversations/<int:conversation_id>/", views.conversation_page, name="conversation"),
    path("conversations/unread/", views.unread_panel, name="unread_panel"),
    path("conversations/<int:conversation_id>/send/", views.message_send, name="send"),
    path("engagements/<int:engagement_id>/chat/", views.engagement_chat_open, name="engagement_chat_open"),
]

# notifications (messaging/notifications/views.py)
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

# questions and answers (messaging/qa/views.py; a question's page is routing's: it shows who was asked)
urlpatterns += [
    path("questions/", qa_views.question_list, name="questions"),
    path("questions/ask/", qa_views.question_ask, name="question_ask"),
    path("questions/<int:question_id>/", routing_views.question_detail, name="question"),
    path("questions/<int:question_id>/answers/", routing_views.answer_post, name="answer_post"),
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

# ask the network: the asker's progress, the candidate's inbox (messaging/routing/views.py)

urlpatterns += [
    path("questions/for-you/", routing_views.routed_inbox, name="routed_inbox"),
    path("questions/for-you/count/", routing_views.routed_count, name="routed_count"),
    path("questions/for-you/home/", routing_views.routed_panel, name="routed_panel"),
    path("questions/people/", routing_views.people_autocomplete, name="people_autocomplete"),
    path("questions/<int:question_id>/routing/", routing_views.question_routing, name="question_routing"),
    path("questions/<int:question_id>/pass/", routing_views.routed_pass, name="routed_pass"),
    path("questions/<int:question_id>/refer/", routing_views.routed_refer, name="routed_refer"),
]
