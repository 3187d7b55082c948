"""REST routes for accounts (mounted under /api/)."""

urlpatterns: list = []
