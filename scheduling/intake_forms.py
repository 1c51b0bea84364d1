"""The forms of online intake: the staff's invitation, and the patient's page, which reuses the
staff intake forms (same fields, same messages) worded for the patient."""

from django import forms

from patients.forms import DEMOGRAPHIC_FIELDS, PatientForm


class IntakeInviteForm(forms.Form):
    """Types only; ``scheduling.intake_links.intake_invite`` checks the rest."""

    first_name = forms.CharField(required=False, max_length=100)
    last_name = forms.CharField(required=False, max_length=100)
    email = forms.CharField(required=False, label="E-mail", max_length=254, widget=forms.EmailInput)


class OwnDetailsForm(PatientForm):
    """The demographics as the patient gives them; reminder consent is asked with the consents."""

    class Meta(PatientForm.Meta):
        fields = [name for name in DEMOGRAPHIC_FIELDS if name != "reminder_consent"]
        labels = {
            "guardian_name": "Parent or guardian (required under 18)",
            "goals": "What would you like to achieve?",
            "emergency_contact_name": "Emergency contact",
        }


class SignedConsentForm(forms.Form):
    treatment_consent = forms.BooleanField(
        required=False, label="I have read the information about facial acupuncture and consent to treatment"
    )
    photo_consent = forms.BooleanField(required=False, label="I agree to clinical photographs of my face (optional)")
    reminder_consent = forms.BooleanField(required=False, label="Send me appointment reminders by e-mail (optional)")
    signed_name = forms.CharField(
        required=False, max_length=200, label="Type your full name to sign",
        help_text="Your typed name is your signature; we record it with the date and time.",
    )
