from django.contrib import admin

from patients.models import Concern


@admin.register(Concern)
class ConcernAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "display_order", "active")
    list_editable = ("display_order", "active")
    prepopulated_fields = {"code": ("name",)}
