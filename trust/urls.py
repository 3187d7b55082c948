"""HTML routes for trust. Mounted by mentoring/config/urls.py: path("trust/", include("trust.urls"))."""

from django.urls import path

from trust import views

app_name = "trust"

urlpatterns = [
    path("me/", views.my_trust, name="my_trust"),
    path("me/disputes/", views.dispute_raise, name="dispute_raise"),
    path("people/<int:user_id>/", views.person_trust, name="person_trust"),
    path("disputes/", views.dispute_queue, name="dispute_queue"),
    path("disputes/<int:dispute_id>/decide/", views.dispute_decide, name="dispute_decide"),
    path("vouch/", views.vouch, name="vouch"),
]
