"""core.admin: the read-only admin every app's service-owned records use."""

from django.contrib import admin
from django.test import RequestFactory

from accounts.models import AuditEntry
from core.admin import ReadOnlyAdmin, ReadOnlyInline


def test_read_only_admin_allows_no_add_change_delete_nor_actions(django_user_model):
    model_admin = ReadOnlyAdmin(AuditEntry, admin.site)
    request = RequestFactory().get("/admin/")
    request.user = django_user_model(is_superuser=True, is_staff=True, is_active=True)

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.get_actions(request) == {}


def test_read_only_inline_adds_no_rows_and_deletes_none():
    assert ReadOnlyInline.extra == 0 and ReadOnlyInline.can_delete is False
    assert not ReadOnlyInline.has_add_permission(None, None, obj=None)
