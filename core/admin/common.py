"""What the core screens share."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written by the services only (Y4(2): who was told what, and when, stays as it was)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
