"""Forms validate and normalise what staff type; the booking rules live in scheduling.booking."""

import datetime as dt

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError

from patients.picker import PatientField
from scheduling.clock import AmbiguousLocalTime, NonexistentLocalTime, local_datetime
from scheduling.models import AppointmentType, Practitioner, Room, Series

FOLD_CHOICES = [
    ("", "—"),
    ("0", "The first one (before the clocks go back)"),
    ("1", "The second one (after the clocks go back)"),
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        # <input type="date"> only understands ISO dates, whatever the locale.
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs={"step": 300, **(attrs or {})}, format="%H:%M")


def _helper() -> FormHelper:
    # The templates write the <form> tag and buttons; crispy renders labelled fields.
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class LocalTimeMixin:
    """Turns ``day`` + ``time`` (+ ``fold`` when the time happens twice) into ``starts_at``."""

    day_field, time_field = "day", "time"

    def clean_starts_at(self, cleaned: dict) -> None:
        day, time = cleaned.get(self.day_field), cleaned.get(self.time_field)
        if not day or not time:
            return
        fold = cleaned.get("fold")
        try:
            cleaned["starts_at"] = local_datetime(day, time, fold=int(fold) if fold not in (None, "") else None)
        except (NonexistentLocalTime, AmbiguousLocalTime) as exc:
            self.add_error(self.time_field, exc.messages)


class SeriesForm(forms.Form):
    patient = PatientField()
    practitioner = forms.ModelChoiceField(Practitioner.objects.filter(active=True))
    appointment_type = forms.ModelChoiceField(
        AppointmentType.objects.filter(active=True).exclude(kind=AppointmentType.Kind.MAINTENANCE),
        label="Session type",
    )
    first_appointment_type = forms.ModelChoiceField(
        AppointmentType.objects.filter(active=True, kind=AppointmentType.Kind.CONSULTATION),
        required=False,
        label="First session type",
        help_text="For a new patient, the first session can be the longer initial consultation.",
    )
    sessions = forms.IntegerField(min_value=Series.MIN_SESSIONS, max_value=Series.MAX_SESSIONS, initial=10)
    cadence_days = forms.TypedChoiceField(
        choices=Series.Cadence.choices, coerce=int, initial=Series.Cadence.WEEKLY, label="How often"
    )
    first_day = forms.DateField(widget=DateInput, label="First date")
    preferred_time = forms.TimeField(widget=TimeInput, label="Preferred time (clinic time)")
    fold = forms.ChoiceField(
        choices=FOLD_CHOICES,
        required=False,
        label="If that time happens twice (clocks going back)",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def proposal_args(self) -> dict:
        data = dict(self.cleaned_data)
        fold = data.pop("fold")
        return {**data, "fold": int(fold) if fold else None}


class SessionChoice:
    """One session of a shown proposal, carried through the confirm form as ``start|room|type``."""

    @staticmethod
    def encode(starts_at: dt.datetime, room_id: int, type_id: int, shifted: bool) -> str:
        return f"{starts_at.astimezone(dt.timezone.utc).isoformat()}|{room_id}|{type_id}|{int(shifted)}"

    @staticmethod
    def decode(value: str) -> tuple[dt.datetime, int, int, bool]:
        try:
            start, room, kind, shifted = value.split("|")
            starts_at = dt.datetime.fromisoformat(start)
            if starts_at.tzinfo is None:
                raise ValueError
            return starts_at, int(room), int(kind), shifted == "1"
        except ValueError:
            raise ValidationError("The proposal was changed in transit; please propose again.") from None


class VisitForm(LocalTimeMixin, forms.Form):
    patient = PatientField()
    practitioner = forms.ModelChoiceField(Practitioner.objects.filter(active=True))
    appointment_type = forms.ModelChoiceField(AppointmentType.objects.filter(active=True), label="Type")
    day = forms.DateField(widget=DateInput, label="Date")
    time = forms.TimeField(widget=TimeInput, label="Time (clinic time)")
    fold = forms.ChoiceField(choices=FOLD_CHOICES, required=False, label="If that time happens twice")
    room = forms.ModelChoiceField(Room.objects.filter(active=True), required=False, empty_label="Any free room")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def clean(self):
        cleaned = super().clean()
        self.clean_starts_at(cleaned)
        return cleaned


class MoveForm(LocalTimeMixin, forms.Form):
    ONLY_THIS, FOLLOWING = "this", "following"

    day = forms.DateField(widget=DateInput, label="New date")
    time = forms.TimeField(widget=TimeInput, label="New time (clinic time)")
    fold = forms.ChoiceField(choices=FOLD_CHOICES, required=False, label="If that time happens twice")
    room = forms.ModelChoiceField(Room.objects.filter(active=True), required=False, empty_label="Keep or any free room")
    scope = forms.ChoiceField(
        choices=[(ONLY_THIS, "Only this visit"), (FOLLOWING, "This and all following visits of the series")],
        initial=ONLY_THIS,
        widget=forms.RadioSelect,
        label="Move",
    )

    def __init__(self, *args, in_series: bool = True, **kwargs):
        super().__init__(*args, prefix="move", **kwargs)
        self.helper = _helper()
        if not in_series:
            del self.fields["scope"]

    def clean(self):
        cleaned = super().clean()
        self.clean_starts_at(cleaned)
        if cleaned.get("scope") == self.FOLLOWING and cleaned.get("room"):
            self.add_error("room", "Rooms are chosen per visit when moving several; leave this empty.")
        return cleaned


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=200, label="Reason for cancelling")
    make_up = forms.BooleanField(
        required=False, label="Add a make-up session at the end of the series", initial=False
    )

    def __init__(self, *args, in_series: bool = True, **kwargs):
        super().__init__(*args, prefix="cancel", **kwargs)
        self.helper = _helper()
        if not in_series:
            del self.fields["make_up"]


class CalendarForm(forms.Form):
    DAY, WEEK = "day", "week"

    practitioner = forms.ModelChoiceField(Practitioner.objects.filter(active=True), required=False)
    room = forms.ModelChoiceField(Room.objects.filter(active=True), required=False)
    view = forms.ChoiceField(choices=[(DAY, "Day"), (WEEK, "Week")], required=False)
    date = forms.DateField(required=False, widget=DateInput)


class MaintenanceIntervalForm(forms.Form):
    interval_weeks = forms.IntegerField(
        min_value=1, max_value=26, required=False, label="Maintenance every (weeks)",
        help_text="Leave empty for the clinic default.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="maint", **kwargs)
        self.helper = _helper()
