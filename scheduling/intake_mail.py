"""The two e-mails of online intake: the invitation with its link, and the confirmation that
the form arrived. Nothing about the patient's health goes in either."""

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from scheduling.intake_tokens import INTAKE_LINK_MAX_AGE, intake_url
from scheduling.models import ClinicSettings, IntakeInvitation
from scheduling.reminders.mail import address_lines


def _message(template: str, *, to: str, context: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=" ".join(render_to_string(f"emails/{template}_subject.txt", context).split()),
        body=render_to_string(f"emails/{template}_body.txt", context),
        to=[to],
    )
    message.attach_alternative(render_to_string(f"emails/{template}_body.html", context), "text/html")
    return message


def intake_mail_send(*, which: str, invitation_id: int) -> bool:
    """Sends the invitation (while it is unused) or the confirmation (once submitted)."""
    invitation = IntakeInvitation.objects.select_related("patient").filter(pk=invitation_id).first()
    if invitation is None or (which == "invitation") == (invitation.submitted_at is not None):
        return False
    clinic = ClinicSettings.load()
    context = {"invitation": invitation, "clinic": clinic, "address_lines": address_lines(clinic),
               "patient_name": invitation.patient.first_name if invitation.patient else invitation.first_name}
    if which == "invitation":
        context |= {"link": intake_url(invitation), "days": INTAKE_LINK_MAX_AGE.days}
        to = invitation.email
    else:
        to = invitation.patient.email or invitation.email
    _message(f"intake_{which}", to=to, context=context).send()
    return True
