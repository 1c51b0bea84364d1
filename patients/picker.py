"""A patient field that searches on the server as you type, instead of a ``<select>`` listing
every patient: the page holds only the chosen patient, the list comes from ``patients:search``
(20 matches, one query). Without JavaScript the same box is a search: the form comes back with
the matches to choose from (``PatientField`` reads a typed text as a search)."""

from django import forms
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from patients.models import Patient
from patients.search import patient_matches, picker_label

# A search box holds a name, e-mail, phone or date: longer text is cut, never sent to the database.
SEARCH_MAX_LENGTH = 100


def _search_text(value) -> str:
    """What a typed value may search for: no NUL (the database refuses it), at most the length above."""
    return str(value).replace("\x00", "")[:SEARCH_MAX_LENGTH]


class PatientPicker(forms.Widget):
    template_name = "patients/picker.html"

    def format_value(self, value):
        return "" if value is None else str(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        chosen = None
        if isinstance(value, Patient):
            chosen = value
        elif str(value or "").isdigit():
            chosen = Patient.objects.filter(pk=value).first()
        context["widget"].update(
            search_url=reverse("patients:search"),
            chosen=chosen,
            chosen_label=picker_label(chosen) if chosen else "",
            query="" if chosen or value is None else str(value),
            matches=[(p.pk, picker_label(p)) for p in patient_matches(_search_text(value))] if value and not chosen else [],
        )
        return context

    def render(self, name, value, attrs=None, renderer=None):
        # The site's templates (templates/patients/), not the form renderer's own set.
        return mark_safe(render_to_string(self.template_name, self.get_context(name, value, self.build_attrs(self.attrs, attrs))))

    def value_from_datadict(self, data, files, name):
        # The chosen id (the script's hidden input, or a match's radio button without
        # JavaScript), else the text typed in the search box.
        chosen = [value for value in (data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]) if value]
        return chosen[-1] if chosen else (_search_text(data.get(f"{name}_search") or "") or None)


class PatientField(forms.ModelChoiceField):
    widget = PatientPicker

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Patient")
        kwargs.setdefault("help_text", "Type a name, e-mail, phone or date of birth and choose the patient.")
        super().__init__(Patient.objects.all(), **kwargs)

    def to_python(self, value):
        if value not in self.empty_values and not str(value).isdigit():
            raise forms.ValidationError("Choose the patient from the matches.", code="choose")
        return super().to_python(value)
