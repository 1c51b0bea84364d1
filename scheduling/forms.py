"""Forms validate and normalise what staff type (and, for a series, what the server signed); the
booking rules live in scheduling.proposal, scheduling.booking and scheduling.visit_status."""

import datetime as dt
import uuid

from crispy_forms.helper import FormHelper
from django import forms
from django.core import signing
from django.core.exceptions import ObjectDoesNotExist, ValidationError

from patients.picker import PatientField
from scheduling.clock import AmbiguousLocalTime, NonexistentLocalTime, local_datetime
from scheduling.models import AppointmentType, Practitioner, Room, Series, Visit
from scheduling.models.clinic import MAINTENANCE_WEEKS_MAX, MAINTENANCE_WEEKS_MIN
from scheduling.proposal import ProposedSession, SeriesProposal
from staff.fields import BoundedDateField
from staff.models import FormSubmission

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
    first_day = BoundedDateField(widget=DateInput, label="First date")
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

    @classmethod
    def for_request(cls, request: dict) -> "SeriesForm":
        """The form as staff filled it in for ``request`` (``SeriesProposal.request()``), bound and
        valid, so the proposal page can offer "Change the request" again."""
        form = cls(data={
            "patient": request["patient"].pk, "practitioner": request["practitioner"].pk,
            "appointment_type": request["appointment_type"].pk,
            "first_appointment_type": request["first_appointment_type"].pk if request["first_appointment_type"] else "",
            "sessions": request["sessions"], "cadence_days": request["cadence_days"],
            "first_day": request["first_day"], "preferred_time": request["preferred_time"],
            "fold": "" if request["fold"] is None else str(request["fold"]),
        })
        form.is_valid()
        return form


class SeriesConfirmForm(forms.Form):
    """The "Book all" step of a series. It carries only the proposal the page showed, signed by the
    server (salted, expiring, tied to the user it was shown to), so staff book exactly what they saw:
    a changed payload, an old one, or any extra field (a rewritten time, a ``shifted`` flag) is
    refused and nothing is booked. The signed payload also holds the page's one-time key
    (``form_key``, see ``staff.submissions``): a second submit of the page shows the series
    the first one booked."""

    SALT = "scheduling.series-confirm"
    MAX_AGE = dt.timedelta(hours=1)
    # Everything else a confirmation might carry is refused rather than ignored.
    FIELDS = {"csrfmiddlewaretoken", "action", "proposal"}
    CHANGED = "This proposal was changed after it was shown. Nothing was booked; please propose again."
    EXPIRED = "This proposal is more than an hour old. Nothing was booked; please propose again."
    EXTRA = "A confirmation cannot change times, rooms or shifted sessions. Nothing was booked; please propose again."

    proposal = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    @classmethod
    def for_proposal(cls, proposal: SeriesProposal, *, user) -> "SeriesConfirmForm":
        payload = {**proposal_payload(proposal, user_id=user.pk), "key": str(FormSubmission.new_key())}
        signed = signing.dumps(payload, salt=cls.SALT, compress=True)
        return cls(initial={"proposal": signed}, user=user)

    def clean_proposal(self) -> SeriesProposal:
        try:
            payload = signing.loads(self.cleaned_data["proposal"], salt=self.SALT, max_age=self.MAX_AGE)
        except signing.SignatureExpired:
            raise ValidationError(self.EXPIRED, code="expired") from None
        except signing.BadSignature:
            raise ValidationError(self.CHANGED, code="changed") from None
        if payload.get("by") != self.user.pk or "key" not in payload:
            raise ValidationError(self.CHANGED, code="changed")
        self.form_key = uuid.UUID(payload["key"])
        return proposal_from_payload(payload)

    def clean(self):
        cleaned = super().clean()
        if set(self.data) - self.FIELDS:
            raise ValidationError(self.EXTRA, code="extra_fields")
        return cleaned


def proposal_payload(proposal: SeriesProposal, *, user_id: int | None) -> dict:
    """A proposal as plain values to sign (the staff confirmation here, the patient's in
    ``scheduling/self_booking_views.py``)."""
    return {
        "by": user_id,
        "patient": proposal.patient.pk,
        "practitioner": proposal.practitioner.pk,
        "type": proposal.appointment_type.pk,
        "first_type": proposal.first_appointment_type.pk if proposal.first_appointment_type else None,
        "sessions": proposal.sessions_planned,
        "cadence": proposal.cadence_days,
        "first_day": proposal.first_day.isoformat(),
        "time": proposal.preferred_time.isoformat(),
        "fold": proposal.fold,
        "slots": [
            [s.sequence, s.target_day.isoformat(), s.starts_at.isoformat() if s.starts_at else None, s.room_id,
             s.appointment_type.pk, s.shifted]
            for s in proposal.sessions
        ],
    }


def proposal_from_payload(payload: dict) -> SeriesProposal:
    """The signed proposal again, with its rows looked up through the series form's own choices
    (so a practitioner or type made inactive since is refused as it would be on the form)."""
    fields = SeriesForm.base_fields
    try:
        patient = fields["patient"].queryset.get(pk=payload["patient"])
        practitioner = fields["practitioner"].queryset.get(pk=payload["practitioner"])
        kind = fields["appointment_type"].queryset.get(pk=payload["type"])
        first_kind = fields["first_appointment_type"].queryset.get(pk=payload["first_type"]) if payload["first_type"] else None
        types = {t.pk: t for t in (kind, first_kind) if t}
        proposal = SeriesProposal(
            patient=patient, practitioner=practitioner, appointment_type=kind,
            sessions_planned=payload["sessions"], cadence_days=payload["cadence"],
            first_day=dt.date.fromisoformat(payload["first_day"]), preferred_time=dt.time.fromisoformat(payload["time"]),
            first_appointment_type=first_kind, fold=payload["fold"],
        )
        proposal.sessions = [
            ProposedSession(
                sequence=sequence, appointment_type=types[type_id], target_day=dt.date.fromisoformat(target_day),
                starts_at=dt.datetime.fromisoformat(starts_at) if starts_at else None, room_id=room_id, shifted=shifted,
            )
            for sequence, target_day, starts_at, room_id, type_id, shifted in payload["slots"]
        ]
    except (ObjectDoesNotExist, KeyError):
        raise ValidationError(
            "The patient, practitioner or session type is no longer available. Nothing was booked; please propose again.",
            code="gone",
        ) from None
    return proposal


class VisitForm(LocalTimeMixin, forms.Form):
    patient = PatientField()
    practitioner = forms.ModelChoiceField(Practitioner.objects.filter(active=True))
    appointment_type = forms.ModelChoiceField(AppointmentType.objects.filter(active=True), label="Type")
    day = BoundedDateField(widget=DateInput, label="Date")
    time = forms.TimeField(widget=TimeInput, label="Time (clinic time)")
    fold = forms.ChoiceField(choices=FOLD_CHOICES, required=False, label="If that time happens twice")
    room = forms.ModelChoiceField(Room.objects.filter(active=True), required=False, empty_label="Any free room")
    # The page's one-time key (``staff.submissions``): a second submit shows the visit booked.
    form_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
        if not self.is_bound:
            self.initial["form_key"] = FormSubmission.new_key()

    def clean(self):
        cleaned = super().clean()
        self.clean_starts_at(cleaned)
        return cleaned


class MoveForm(LocalTimeMixin, forms.Form):
    ONLY_THIS, FOLLOWING = "this", "following"

    day = BoundedDateField(widget=DateInput, label="New date")
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
    cancelled_by = forms.ChoiceField(
        choices=Visit.CancelledBy.choices, initial=Visit.CancelledBy.CLINIC, widget=forms.RadioSelect,
        label="Cancelled by",
    )
    make_up = forms.BooleanField(
        required=False, label="Add a make-up session at the end of the series", initial=False
    )

    def __init__(self, *args, in_series: bool = True, **kwargs):
        super().__init__(*args, prefix="cancel", **kwargs)
        self.helper = _helper()
        if not in_series:
            del self.fields["make_up"]


class StatusForm(forms.Form):
    """A status button on the visit page; "not treated" needs the reason (the domain says so)."""

    reason = forms.CharField(max_length=200, required=False, label="Why was the patient not treated?")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="status", **kwargs)
        self.helper = _helper()


class DecisionForm(forms.Form):
    """A decision about a visit inside a closure or time off (``scheduling.closures``). *Move*
    carries the proposed time the page showed; the move itself re-checks it."""

    MOVE, CANCEL, KEEP = "move", "cancel", "keep"

    decision = forms.ChoiceField(choices=[(MOVE, "Move"), (CANCEL, "Cancel"), (KEEP, "Keep")])
    starts_at = forms.DateTimeField(required=False, widget=forms.HiddenInput)
    room = forms.ModelChoiceField(Room.objects.filter(active=True), required=False, widget=forms.HiddenInput)
    reason = forms.CharField(max_length=200, required=False, label="Why it stays")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == self.MOVE and not cleaned.get("starts_at"):
            raise ValidationError("No free time was found to move this visit to: cancel it or keep it.")
        return cleaned


class LoadedChoiceField(forms.Field):
    """One of ``objects`` (model instances the view has loaded already) by its primary key, as
    ``ModelChoiceField`` would choose it from their queryset, without querying again."""

    default_error_messages = {"invalid_choice": "Select a valid choice. That choice is not one of the available choices."}

    def __init__(self, *, objects=(), **kwargs) -> None:
        super().__init__(**kwargs)
        self.objects = list(objects)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        chosen = next((obj for obj in self.objects if str(obj.pk) == str(value)), None)
        if chosen is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return chosen


class CalendarForm(forms.Form):
    """Which calendar to show: ``practitioners`` and ``rooms`` are the active ones, which the
    page lists in its picker anyway."""

    DAY, WEEK = "day", "week"

    practitioner = LoadedChoiceField(required=False)
    room = LoadedChoiceField(required=False)
    view = forms.ChoiceField(choices=[(DAY, "Day"), (WEEK, "Week")], required=False)
    date = BoundedDateField(required=False, widget=DateInput)

    def __init__(self, *args, practitioners: list[Practitioner], rooms: list[Room], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].objects = practitioners
        self.fields["room"].objects = rooms


class MaintenanceIntervalForm(forms.Form):
    interval_weeks = forms.IntegerField(
        min_value=MAINTENANCE_WEEKS_MIN, max_value=MAINTENANCE_WEEKS_MAX, required=False, label="Maintenance every (weeks)",
        help_text="Leave empty for the clinic default.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="maint", **kwargs)
        self.helper = _helper()
