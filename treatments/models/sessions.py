"""Session records: what was done at a visit, the reactions, the patient's ratings and photos."""

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone

from patients.models import Concern, Patient, Screening
from treatments.models.history import CheckedParent, TargetItem, one_target_matching_kind
from treatments.models.plans import Plan
from treatments.row_checks import session_row_problems
from treatments.rules import light_session, new_risks


class ReactionKind(models.TextChoices):
    BRUISING = "bruising", "Bruising"
    BLEEDING = "bleeding", "Bleeding"
    FAINTING = "fainting", "Fainting or near-fainting"
    DIZZINESS = "dizziness", "Dizziness"
    HEADACHE = "headache", "Headache"
    PAIN = "pain", "Pain at a needle site"
    SWELLING = "swelling", "Redness or swelling"
    NAUSEA = "nausea", "Nausea"
    OTHER = "other", "Other"


class ReactionSeverity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class SessionRecord(CheckedParent):
    """What the acupuncturist did at one visit, and how the patient rated their concerns then.

    Saving it completes the visit (``treatments.sessions.session_record_save``). Never edited:
    it is the clinical record of the day.
    """

    visit = models.OneToOneField("scheduling.Visit", on_delete=models.PROTECT, related_name="+")
    # Copied from the visit so outcome pages can select by patient and series without joins.
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    series = models.ForeignKey("scheduling.Series", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The plan the session followed (the current one when it was recorded).
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    # The screening the acupuncturist confirmed (or recorded) at the visit: the patient's latest.
    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    total_needles = models.PositiveSmallIntegerField()
    retention_minutes = models.PositiveSmallIntegerField()
    # The maxima the rules gave for the screening (as on plans): the database holds the record
    # inside them, SessionRecord.save() holds them to the rules.
    needles_max = models.PositiveSmallIntegerField()
    retention_max = models.PositiveSmallIntegerField()
    # The risks new since the plan (a re-screening at the visit) that the practitioner
    # acknowledged one by one, and the near-eye risk if they accepted it, as shown to them.
    acknowledged = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [
            models.Index(fields=["patient", "-recorded_at"], name="session_patient_recent_idx"),
            models.Index(fields=["series", "recorded_at"], name="session_series_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total_needles__lte=models.F("needles_max")), name="session_needles_within_max"),
            models.CheckConstraint(
                condition=Q(retention_minutes__gte=1) & Q(retention_minutes__lte=models.F("retention_max")),
                name="session_retention_within_max",
            ),
        ]

    def __str__(self) -> str:
        return f"Session of {self.patient} on {self.recorded_at:%Y-%m-%d}"

    kept_message = "A session record is never changed once saved."
    items_whose = "record's"
    checked_on_field = "recorded_at"

    def _row_problems(self) -> list[str]:
        problems = []
        if self.visit.patient_id != self.patient_id or self.visit.series_id != self.series_id:
            problems.append("The record must be for the visit's patient and series.")
        if self.plan.patient_id != self.patient_id:
            problems.append("The plan belongs to another patient.")
        problems += self._screening_problems(what="session")
        if problems:
            return problems
        rules, facts = self.rule_facts
        earlier, fainted = SessionRecord.history_before(
            patient_id=self.patient_id, series_id=self.series_id, starts_at=self.visit.starts_at
        )
        return session_row_problems(
            needles_max=self.needles_max, retention_max=self.retention_max, facts=facts, rules=rules,
            light=light_session(facts=facts, earlier_sessions=earlier, fainted_in_series=fainted),
            risks=new_risks(facts, plan_acknowledged=self.plan.acknowledged), acknowledged=self.acknowledged,
        )

    @staticmethod
    def history_before(*, patient_id: int, series_id: int | None, starts_at) -> tuple[int, bool]:
        """(sessions recorded before this time, whether one of them had a fainting reaction), in
        the series (or, for a visit outside a series, the patient's records outside one) — 1 query."""
        found = SessionRecord.objects.filter(
            patient_id=patient_id, series_id=series_id, visit__starts_at__lt=starts_at
        ).aggregate(
            sessions=Count("id", distinct=True),
            fainted=Count("reactions", filter=Q(reactions__kind=ReactionKind.FAINTING)),
        )
        return found["sessions"], found["fainted"] > 0


class SessionItem(TargetItem):
    """A point, line of local needles or adjunct actually used in a session."""

    record = models.ForeignKey(SessionRecord, on_delete=models.PROTECT, related_name="items")

    class Meta(TargetItem.Meta):
        constraints = [
            models.CheckConstraint(condition=one_target_matching_kind(), name="sessionitem_one_target_matching_kind"),
            models.UniqueConstraint(fields=["record", "point"], name="sessionitem_point_once"),
            models.UniqueConstraint(fields=["record", "pattern"], name="sessionitem_pattern_once"),
            models.UniqueConstraint(fields=["record", "adjunct"], name="sessionitem_adjunct_once"),
        ]

    kept_message = "A session record is never changed once saved."
    parent_field = "record"


class Reaction(models.Model):
    """A reaction or adverse event during or after the session, with its severity."""

    Kind = ReactionKind
    Severity = ReactionSeverity

    record = models.ForeignKey(SessionRecord, on_delete=models.PROTECT, related_name="reactions")
    kind = models.CharField(max_length=20, choices=ReactionKind.choices)
    severity = models.CharField(max_length=10, choices=ReactionSeverity.choices)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "reaction or adverse event"
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ReactionKind.values), name="reaction_kind_known"),
            models.CheckConstraint(condition=Q(severity__in=ReactionSeverity.values), name="reaction_severity_known"),
            # "Other" says nothing by itself.
            models.CheckConstraint(condition=~Q(kind="other") | ~Q(note=""), name="reaction_other_described"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_severity_display().lower()})"


class ConcernRating(models.Model):
    """The patient's own rating of one of their concerns at a session (0 = gone, 10 = worst), on
    the same scale as the severity they gave at intake, so the change can be shown."""

    record = models.ForeignKey(SessionRecord, on_delete=models.PROTECT, related_name="ratings")
    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="+")
    rating = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["concern__display_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["record", "concern"], name="rating_concern_once"),
            models.CheckConstraint(condition=Q(rating__gte=0) & Q(rating__lte=10), name="rating_0_10"),
        ]

    def __str__(self) -> str:
        return f"{self.concern}: {self.rating}/10"


class PhotoView(models.TextChoices):
    FRONT = "front", "Front"
    LEFT = "left", "Left side"
    RIGHT = "right", "Right side"


class SessionPhoto(models.Model):
    """A photo taken at a session (with the patient's photo consent). The file lives under
    ``settings.PRIVATE_MEDIA_ROOT`` and is only ever streamed by a permission-checked view.

    Never overwritten: uploading the same view of the same session again adds the next
    ``version`` and the latest is the one shown; earlier versions and their files stay. Database
    triggers (``treatments.triggers.HISTORY_TABLES``) refuse changing a row, and deleting one unless
    its patient is anonymised (``patients.rights``; that DELETE guard is PostgreSQL's only)."""

    View = PhotoView

    record = models.ForeignKey(SessionRecord, on_delete=models.PROTECT, related_name="photos")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    view = models.CharField(max_length=10, choices=PhotoView.choices)
    # 1 for the first upload of this view at this session, then 2, 3, … for each re-upload.
    version = models.PositiveSmallIntegerField(default=1)
    # Path relative to PRIVATE_MEDIA_ROOT, chosen by the app (never by the uploader).
    file_name = models.CharField(max_length=200, unique=True)
    image_format = models.CharField(max_length=10)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["patient", "view", "uploaded_at"], name="photo_patient_view_idx")]
        constraints = [
            models.UniqueConstraint(fields=["record", "view", "version"], name="photo_one_per_view_version"),
            models.CheckConstraint(condition=Q(version__gte=1), name="photo_version_positive"),
            models.CheckConstraint(condition=Q(view__in=PhotoView.values), name="photo_view_known"),
            models.CheckConstraint(condition=Q(image_format__in=["JPEG", "PNG", "WEBP"]), name="photo_format_allowed"),
        ]

    def __str__(self) -> str:
        return f"{self.get_view_display()} photo of {self.patient} ({self.uploaded_at:%Y-%m-%d})"

    @property
    def content_type(self) -> str:
        return f"image/{self.image_format.lower()}"
