from django import forms

from patients.intake import CONFIRMED_NO
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


YES_NO = [("yes", "Yes"), ("no", "No")]
# ScreeningForm(previous=...) not given: the caller did not say whether there is an earlier screening.
UNKNOWN = object()


def _yes_no_field(label: str) -> forms.TypedChoiceField:
    # Two radios and no default: a question left unanswered is refused, never read as "No".
    return forms.TypedChoiceField(
        label=label[:1].upper() + label[1:],
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Answer Yes or No."},
    )


class ScreeningForm(forms.ModelForm):
    """The questionnaire, shared by intake, the patient's new screening and the session check.

    ``previous`` is the patient's latest screening, None at intake (or ``initial`` holds its
    answers): the page
    shows each previous answer beside its question but never pre-selects it, and offers a tick box
    for each Yes that may now become No (``screening_record`` requires it)."""

    botox_areas = _areas_field("Botox areas")
    filler_areas = _areas_field("Dermal filler areas")
    laser_peel_areas = _areas_field("Laser or peel areas")
    surgery_areas = _areas_field("Cosmetic surgery areas")
    confirmed_no = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Answers that were Yes and are now No: I have checked each one I tick with the patient",
    )

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

    def __init__(self, *args, previous: Screening | None | object = UNKNOWN, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(previous, Screening):
            before = {name: getattr(previous, name) for name in Screening.FLAG_FIELDS}
        else:
            before = {name: self.initial[name] for name in Screening.FLAG_FIELDS if name in self.initial}
        for name in Screening.FLAG_FIELDS:
            self.fields[name] = _yes_no_field(str(Screening._meta.get_field(name).verbose_name))
            self.initial.pop(name, None)
            if name in before:
                self.fields[name].help_text = f"Last screening: {'Yes' if before[name] else 'No'}"
        if previous is UNKNOWN and not before:
            were_yes = list(Screening.FLAG_FIELDS)  # a POST that did not say: any may be confirmed
        else:
            were_yes = [name for name in Screening.FLAG_FIELDS if before.get(name)]
        if were_yes:
            self.fields["confirmed_no"].choices = [(name, self.fields[name].label) for name in were_yes]
        else:
            del self.fields["confirmed_no"]

    def _post_clean(self):
        pass

    def answers(self) -> dict:
        """The new row's answers, plus under ``CONFIRMED_NO`` the Yes answers the staff member
        confirmed are now No (``patients.intake.screening_record`` checks them)."""
        answers = {name: self.cleaned_data[name] for name in self.Meta.fields}
        answers[CONFIRMED_NO] = list(self.cleaned_data.get("confirmed_no", []))
        return answers


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
