from django import template

from scheduling.clock import today
from scheduling.selectors import desk_day, patient_summary

register = template.Library()


@register.inclusion_tag("scheduling/_patient_summary.html", takes_context=True)
def scheduling_patient_summary(context, patient):
    """The scheduling section of the patient page (patients/ cannot import scheduling, so the
    page includes a template that calls this tag). Three queries."""
    return {"patient": patient, "perms": context.get("perms"), **patient_summary(patient)}



@register.inclusion_tag("scheduling/_desk_day.html", takes_context=True)
def scheduling_desk_day(context):
    """The day panel of the home page (staff/ cannot import scheduling, so the home includes a
    template that calls this tag). Five queries."""
    return {"perms": context.get("perms"), "today": today(), **desk_day(today=today())}
