"""Plan information for pages of other apps (the patient page), which must not import treatments."""

from django import template

from treatments.models import Plan

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
