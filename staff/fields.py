"""Form fields every app's forms share: input the app can always compute with."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError

# Dates staff can enter anywhere: a calendar page's "next week" or a series' last session must
# still be a date Python can hold (9999-12-31 + 1 day is an OverflowError, i.e. a 500).
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)


class BoundedDateField(forms.DateField):
    """A ``DateField`` refusing dates outside ``EARLIEST_DATE``–``LATEST_DATE`` with a clear message
    (and telling the browser's date picker the same range)."""

    default_error_messages = {
        "out_of_range": f"Enter a date between {EARLIEST_DATE:%d/%m/%Y} and {LATEST_DATE:%d/%m/%Y}.",
    }

    def validate(self, value: dt.date | None) -> None:
        super().validate(value)
        if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
            raise ValidationError(self.error_messages["out_of_range"], code="out_of_range")

    def widget_attrs(self, widget) -> dict:
        return {**super().widget_attrs(widget), "min": EARLIEST_DATE.isoformat(), "max": LATEST_DATE.isoformat()}
