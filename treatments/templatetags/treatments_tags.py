"""Plan information for pages of other apps (the patient page), which must not import treatments."""

from django import template
from django.db.models import Count, Max

from treatments.models import Plan, SessionRecord

register = template.Library()


@register.inclusion_tag("treatments/_plan_status.html")
def plan_status(patient, perms):
    """The patient's current plan: details for acupuncturists, only its existence for front desk.
    One query whatever the history; none for a user who may see neither."""
    may_view = perms["treatments"]["view_plan"]
    if not (may_view or perms["treatments"]["view_plan_status"]):
        return {"shown": False}
    plan = Plan.objects.filter(patient=patient).select_related("created_by").first()
    return {"shown": True, "patient": patient, "plan": plan, "details": may_view}


@register.inclusion_tag("treatments/_session_status.html")
def session_status(patient, perms):
    """How many sessions the patient has had, for acupuncturists only (one query; none for
    anyone else: front desk must not even learn that clinical records exist)."""
    if not perms["treatments"]["view_sessionrecord"]:
        return {"shown": False}
    summary = SessionRecord.objects.filter(patient=patient).aggregate(count=Count("id"), latest=Max("visit__starts_at"))
    return {"shown": True, "patient": patient, **summary}
