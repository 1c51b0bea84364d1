import html

from django import template
from django.utils.formats import date_format, time_format
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe

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
    return _html_join(
        "\n", '<a class="cal-free" style="grid-row: {}; grid-column: {};" href="{}" aria-label="{}"{}>{}</a>',
        ((cell.row, cell.column, cell.href, cell.label, tab, cell.time) for cell in cells),
    )


# A visit's block: the state in words as well as in colour (a status other than booked is in
# ``where`` already; confirmed and shifted are added here).
_BLOCK = (
    '<a class="cal-visit status-{}{}{}" style="grid-row: {} / span {}; grid-column: {};" href="{}" data-visit="{}">\n'
    '  <strong>{}</strong><br><span>{}</span><br><span>{}</span>\n  {}{}\n</a>'
)
_CONFIRMED = mark_safe('<br><span class="cal-state">Confirmed by patient</span>')
_SHIFTED = mark_safe("<br><span class=\"cal-state\">Shifted from the series' time</span>")


@register.simple_tag
def calendar_blocks(blocks):
    """The calendar's visits (``scheduling.calendar.Block``) as links, in one pass: a template
    loop spent a third of the week page's time looking up each block's parts."""
    return _html_join("\n", _BLOCK, (
        (
            block.visit.status, " shifted" if block.visit.shifted else "", " in-treatment" if block.visit.in_treatment else "",
            block.row, block.span, block.column, block.href, block.visit.pk, block.title, block.kind, block.where,
            _CONFIRMED if block.visit.status == block.visit.Status.BOOKED and block.visit.confirmed_at else "",
            _SHIFTED if block.visit.shifted else "",
        )
        for block in blocks
    ))


@register.simple_tag
def calendar_choices(kind: str, choices, chosen):
    """The calendar picker's practitioners or rooms (``kind``) as options, in one pass (a group
    has a hundred of them: as a template loop they cost more than the week's visits)."""
    selected = mark_safe("selected")
    return _html_join("", '<option value="{}={}" {}>{}</option>', (
        (kind, choice.pk, selected if choice == chosen else "", choice) for choice in choices
    ))


# A day's heading (a link to the day; in the week, read out as the way to book) and its column.
_DAY_COLUMN = (
    '<div class="cal-head" style="grid-row: 1; grid-column: {};"><a href="?{}&view=day&date={}"{}>{}</a></div>\n'
    '<div class="{}" style="grid-row: 2 / span {}; grid-column: {};">{}</div>'
)


@register.simple_tag
def calendar_day_columns(grid, subject: dict, view: str):
    """Each day's heading and column, open or closed, in one pass."""
    subject_query = mark_safe("".join(f"{key}={_escape(value)}" for key, value in subject.items()))
    return _html_join("\n", _DAY_COLUMN, (
        (
            column, subject_query, date_format(day, "Y-m-d"),
            mark_safe(f' aria-label="{_escape(date_format(day, "l d F"))}: open the day to book a free time"')
            if view == "week" else "",
            date_format(day, "D d M"), "cal-closed" if closed else "cal-day", len(grid.times), column,
            f"Closed: {closed}" if closed else "",
        )
        for column, day, closed in grid.day_columns
    ))


@register.simple_tag
def calendar_hour_labels(grid):
    """The time labels down the first column (``CalendarGrid.hour_labels``), in one pass."""
    return _html_join("\n", '<div class="cal-time" style="grid-row: {} / span {}; grid-column: 1;">{}</div>', (
        (row, span, time_format(time, "H:i")) for row, span, time in grid.hour_labels
    ))


def _escape(value) -> str:
    """``conditional_escape`` without its per-call wrappers (a week page escapes ~2,000 values):
    safe HTML as it is, anything else escaped."""
    if isinstance(value, Promise):
        value = str(value)
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def _html_join(separator: str, template: str, rows) -> SafeString:
    """``format_html_join``: each row's values escaped into ``template``, the rows joined."""
    return mark_safe(separator.join(template.format(*map(_escape, row)) for row in rows))
