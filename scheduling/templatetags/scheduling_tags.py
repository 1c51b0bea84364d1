from django import template
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

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


@register.simple_tag
def calendar_free_cells(cells, view: str, everyone: bool = False):
    """The calendar's free cells (``scheduling.calendar.FreeCell``) as links, in one pass: a week
    has up to ~450, and as a template loop they were a third of the page's time. In the week they
    are out of the tab order (the keyboard goes day heading → day view), and so in the day of all
    practitioners (a practitioner's heading opens their day)."""
    tab = mark_safe(' tabindex="-1"') if view == "week" or everyone else ""
    return format_html_join(
        "\n", '<a class="cal-free" style="grid-row: {}; grid-column: {};" href="{}" aria-label="{}"{}>{}</a>',
        ((cell.row, cell.column, cell.href, cell.label, tab, cell.time) for cell in cells),
    )
