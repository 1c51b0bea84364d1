"""Online intake: an invitation e-mailed to a new patient, whose signed link opens the intake
form; it becomes a patient when the form is submitted (``scheduling.intake_links``)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from patients.models import Patient


class IntakeInvitation(models.Model):
    """One invitation to fill the intake form online. The patient record does not exist yet (the
    intake rules need a date of birth and a screening): it is made on submit, all or nothing."""

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # The patient's answers so far (the form's fields), kept on the server when they press "Save
    # and finish later"; emptied on submit. Never in the link.
    draft = models.JSONField(default=dict, blank=True)
    draft_saved_at = models.DateTimeField(null=True, blank=True)
    # Set once, in the transaction that registers the patient: the link is then used up.
    submitted_at = models.DateTimeField(null=True, blank=True)
    patient = models.OneToOneField(Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="intake_invitation")
    # The consent signature: the full name the patient typed, and the form version they signed.
    signed_name = models.CharField(max_length=200, blank=True)
    form_version = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True, patient__isnull=True, signed_name="")
                | Q(submitted_at__isnull=False, patient__isnull=False) & ~Q(signed_name="") & ~Q(form_version=""),
                name="intake_invitation_submitted_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"Intake invitation for {self.first_name} {self.last_name}"
