"""Admin pieces every app shares (core registers no model).

``ReadOnlyAdmin`` and ``ReadOnlyInline``: browse and search only, for records that
change only through the services (so audit rows, evidence and counters stay
complete). No add, change or delete, hence no bulk actions either."""

from django.contrib import admin


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
