"""REST routes for trust, mounted under /api/trust/ by mentoring/config/urls.py:
``path("trust/", include("trust.api_urls"))`` in ``api_patterns``."""

from django.urls import path

from trust import api

urlpatterns = [
    path("users/<int:user_id>/", api.UserTrustView.as_view(), name="trust-api-user"),
    path("me/", api.MyTrustView.as_view(), name="trust-api-me"),
    path("disputes/", api.DisputeListView.as_view(), name="trust-api-disputes"),
    path("disputes/queue/", api.DisputeQueueView.as_view(), name="trust-api-dispute-queue"),
    path(
        "disputes/<int:dispute_id>/decide/", api.DisputeDecideView.as_view(), name="trust-api-dispute-decide"
    ),
    path("distributions/", api.DistributionsView.as_view(), name="trust-api-distributions"),
    path("vouches/", api.VouchView.as_view(), name="trust-api-vouches"),
]
