"""Forms of the waiting list (``scheduling.waitlist`` holds its rules)."""

import datetime as dt

from django import forms

from patients.picker import PatientField
from scheduling.forms import DateInput, TimeInput, _helper
from scheduling.models import AppointmentType, Practitioner, WaitlistEntry, Weekday
from scheduling.waitlist import weekday_mask
from staff.fields import BoundedDateField
from staff.text import single_line_problem


class WaitlistEntryForm(forms.Form):
    patient = PatientField()
    practitioner = forms.ModelChoiceField(Practitioner.objects.filter(active=True))
    appointment_type = forms.ModelChoiceField(AppointmentType.objects.filter(active=True), label="Type")
    earliest_day = BoundedDateField(widget=DateInput, label="From (date)")
    latest_day = BoundedDateField(widget=DateInput, label="Until (date)")
    weekdays = forms.TypedMultipleChoiceField(
        choices=Weekday.choices, coerce=int, required=False, widget=forms.CheckboxSelectMultiple,
        label="Days of the week", help_text="None ticked: any day.",
    )
    from_time = forms.TimeField(widget=TimeInput, required=False, label="Starting at or after (clinic time)")
    until_time = forms.TimeField(widget=TimeInput, required=False, label="Ending by (clinic time)")
    note = forms.CharField(max_length=300, required=False, label="Note", help_text="e.g. can come at short notice")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def clean_note(self) -> str:
        note = self.cleaned_data["note"].strip()
        problem = single_line_problem(note)
        if problem:
            raise forms.ValidationError(problem)
        return note

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("earliest_day"), cleaned.get("latest_day")
        if first and last and first > last:
            self.add_error("latest_day", "The last day must be on or after the first day.")
        start, end = cleaned.get("from_time"), cleaned.get("until_time")
        if start and end and start >= end:
            self.add_error("until_time", "'Ending by' must be later than 'starting at or after'.")
        cleaned["weekdays"] = weekday_mask(cleaned.get("weekdays") or [])
        return cleaned

    @classmethod
    def initial_for(cls, today: dt.date) -> dict:
        return {"earliest_day": today, "latest_day": today + dt.timedelta(weeks=4)}


class WaitlistCloseForm(forms.Form):
    status = forms.ChoiceField(choices=[(WaitlistEntry.Status.DONE, "Done"), (WaitlistEntry.Status.REMOVED, "Removed")])


class WaitlistBookForm(forms.Form):
    slot = forms.IntegerField(min_value=1, max_value=2**31 - 1)
