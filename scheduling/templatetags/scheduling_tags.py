from django import template

from scheduling.selectors import patient_summary

register = template.Library()


@register.inclusion_tag("scheduling/_patient_summary.html", takes_context=True)
def scheduling_patient_summary(context, patient):
    """The scheduling section of the patient page (patients/ cannot import scheduling, so the
    page includes a template that calls this tag). Three queries."""
    return {"patient": patient, "perms": context.get("perms"), **patient_summary(patient)}

