"""HTML routes for chat (namespace "messaging")."""

from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("conversations/<int:conversation_id>/", views.conversation_page, name="conversation"),
    path("conversations/<int:conversation_id>/send/", views.message_send, name="send"),
]
