from django import forms

from patients.models import Concern, FaceArea, Patient, Screening

DEMOGRAPHIC_FIELDS = [
    "first_name",
    "last_name",
    "date_of_birth",
    "sex",
    "email",
    "phone",
    "address",
    "preferred_contact",
    "emergency_contact_name",
    "emergency_contact_phone",
    "guardian_name",
    "guardian_phone",
    "goals",
    "reminder_consent",
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PatientForm(forms.ModelForm):
    """Demographics. Only types are checked here; the intake rules (patients.intake) do the rest."""

    # Plain text fields so that a malformed value reaches the intake rules and gets their message.
    email = forms.CharField(required=False, label="E-mail", widget=forms.EmailInput)
    phone = forms.CharField(required=False, max_length=30, widget=forms.TextInput(attrs={"type": "tel"}))
    emergency_contact_phone = forms.CharField(required=False, max_length=30, widget=forms.TextInput(attrs={"type": "tel"}))
    guardian_phone = forms.CharField(
        required=False, max_length=30, label="Guardian's phone", widget=forms.TextInput(attrs={"type": "tel"})
    )

    class Meta:
        model = Patient
        fields = DEMOGRAPHIC_FIELDS
        widgets = {
            "date_of_birth": DateInput(),
            "address": forms.Textarea(attrs={"rows": 2}),
            "goals": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "guardian_name": "Parent or guardian (required under 18)",
            "reminder_consent": "The patient agrees to receive appointment reminders by e-mail",
            "goals": "The patient's goals",
        }

    def _post_clean(self):
        # Model validation runs in patients.intake, with the clinic's messages.
        pass


def _areas_field(label: str) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(choices=FaceArea.choices, required=False, widget=forms.CheckboxSelectMultiple, label=label)


class ScreeningForm(forms.ModelForm):
    botox_areas = _areas_field("Botox areas")
    filler_areas = _areas_field("Dermal filler areas")
    laser_peel_areas = _areas_field("Laser or peel areas")
    surgery_areas = _areas_field("Cosmetic surgery areas")

    class Meta:
        model = Screening
        fields = [
            *Screening.FLAG_FIELDS,
            *(name for on_field, areas_field, _ in Screening.PROCEDURES for name in (on_field, areas_field)),
            "allergies",
            "medications",
            "notes",
        ]
        widgets = {
            **{on_field: DateInput() for on_field, _, _ in Screening.PROCEDURES},
            "allergies": forms.Textarea(attrs={"rows": 2}),
            "medications": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def _post_clean(self):
        pass

    def answers(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ConcernsForm(forms.Form):
    """One 0–10 severity per catalogue concern; left blank means "not a concern"."""

    def __init__(self, *args, concerns: list[Concern], initial_severities: dict[int, int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.concerns = concerns
        for concern in concerns:
            self.fields[f"concern_{concern.code}"] = forms.IntegerField(
                label=concern.name,
                required=False,
                min_value=0,
                max_value=10,
                help_text="0–10, blank if not a concern",
                initial=(initial_severities or {}).get(concern.pk),
                widget=forms.NumberInput(attrs={"min": 0, "max": 10}),
            )

    def severities(self) -> dict[Concern, int | None]:
        return {concern: self.cleaned_data.get(f"concern_{concern.code}") for concern in self.concerns}


class ConsentForm(forms.Form):
    treatment_consent = forms.BooleanField(
        required=False, label="The patient has read and signed the consent to treatment"
    )
    photo_consent = forms.BooleanField(required=False, label="The patient agrees to clinical photographs")


class DuplicateConfirmForm(forms.Form):
    confirm_new = forms.BooleanField(
        required=False, label="I have checked: this is a different person, register them as a new patient"
    )


class SearchForm(forms.Form):
    q = forms.CharField(required=False, label="Name, e-mail, phone or date of birth", max_length=100)


class ConsentChangeForm(forms.Form):
    kind = forms.ChoiceField(choices=[("treatment", "Treatment"), ("photos", "Photographs")])
    given = forms.TypedChoiceField(
        choices=[("1", "Given"), ("0", "Withdrawn")], coerce=lambda v: v == "1", widget=forms.RadioSelect
    )


class RightsConfirmForm(forms.Form):
    """The typed confirmation of an export or anonymisation (checked by patients.rights)."""

    confirmation = forms.CharField(max_length=40, label="Type the confirmation shown above")
