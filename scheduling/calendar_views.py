"""The calendar page: a day or week per practitioner or per room, and the all-practitioners day
(one column per practitioner). The grids come ready from ``scheduling.calendar``."""

import datetime as dt

from django.shortcuts import render

from scheduling.calendar import calendar_day_all, calendar_grid
from scheduling.clock import clinic_zone, today
from scheduling.forms import CalendarForm
from scheduling.models import Practitioner, Room
from staff.access import require

# ``?practitioner=all`` (the picker's first choice, and the home page's link): every practitioner's day.
ALL = "all"


@require("scheduling.view_visit")
def calendar(request):
    params = request.GET.copy()
    # The calendar picker sends one "who" value such as "room=2" (practitioners and rooms share
    # one select); it stands for the practitioner/room parameter it names.
    key, _, value = params.pop("who", [""])[0].partition("=")
    if key in ("practitioner", "room") and value:
        params[key] = value
    everyone = params.get("practitioner") == ALL
    if everyone:
        del params["practitioner"]
    practitioners = list(Practitioner.objects.filter(active=True))
    rooms = list(Room.objects.filter(active=True))
    form = CalendarForm(params or None, practitioners=practitioners, rooms=rooms)
    data = form.cleaned_data if form.is_valid() else {}
    room = None if everyone else data.get("room")
    # Without a choice, practitioners see their own calendar and everyone else the first one.
    own = next((p for p in practitioners if p.user_id == request.user.pk), None)
    first = practitioners[0] if practitioners else None
    practitioner = None if room or everyone else (data.get("practitioner") or own or first)
    # The all-practitioners calendar is a day: a week of every column would not fit a screen.
    view = CalendarForm.DAY if everyone else (data.get("view") or CalendarForm.DAY)
    day = data.get("date") or today()
    if view == CalendarForm.WEEK:
        monday = day - dt.timedelta(days=day.weekday())
        days = [monday + dt.timedelta(days=i) for i in range(7)]
        step = dt.timedelta(days=7)
    else:
        days, step = [day], dt.timedelta(days=1)
    if everyone:
        grid = calendar_day_all(day=day) if practitioners else None
        subject = {"practitioner": ALL}
    else:
        grid = calendar_grid(days=days, practitioner=practitioner, room=room) if (practitioner or room) else None
        subject = {"room": room.pk} if room else ({"practitioner": practitioner.pk} if practitioner else {})
    return render(
        request,
        "scheduling/calendar.html",
        {
            "grid": grid, "practitioners": practitioners, "rooms": rooms, "practitioner": practitioner, "room": room,
            "everyone": everyone, "view": view, "day": day, "subject": subject, "today": today(),
            "previous": day - step, "next": day + step, "zone": clinic_zone().key,
        },
    )
