"""Shared form fields (``staff.fields``): dates the app can always compute with."""

import datetime as dt

import pytest
from django import forms

from staff.fields import BoundedDateField


class DayForm(forms.Form):
    day = BoundedDateField()


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1899-12-31", "2100-01-01"])
def test_dates_outside_the_range_are_refused_with_a_clear_message(value):
    form = DayForm({"day": value})
    assert not form.is_valid()
    assert form.errors["day"] == ["Enter a date between 01/01/1900 and 31/12/2099."]


@pytest.mark.parametrize("value", ["1900-01-01", "2026-03-29", "2099-12-31"])
def test_dates_inside_the_range_are_accepted(value):
    form = DayForm({"day": value})
    assert form.is_valid() and form.cleaned_data["day"] == dt.date.fromisoformat(value)


def test_the_date_picker_is_told_the_range():
    html = str(DayForm()["day"])
    assert 'min="1900-01-01"' in html and 'max="2099-12-31"' in html
