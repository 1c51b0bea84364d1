from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class FaceArea(models.TextChoices):
    """Areas of the face, as the screening asks them (Botox, filler, laser/peel, surgery) and as
    the point catalogue files its face points (a point may lie in several), so that planning can
    exclude a treated area. Fine enough that frown-line Botox or nasolabial filler excludes
    exactly the points and lines there."""

    FOREHEAD = "forehead", "Forehead"
    GLABELLA = "glabella", "Between the brows"
    PERIORBITAL = "periorbital", "Around the eyes"
    TEMPLE = "temple", "Temples"
    NOSE = "nose", "Nose"
    CHEEK = "cheek", "Cheeks"
    NASOLABIAL = "nasolabial", "Nasolabial folds"
    PERIORAL = "perioral", "Around the mouth / lips"
    CHIN = "chin", "Chin"
    JAWLINE = "jawline", "Jawline"
    NECK = "neck", "Neck"


def validate_face_areas(value) -> None:
    """A list of distinct FaceArea values (the JSON lists of screenings and catalogue rows)."""
    if not isinstance(value, list) or any(area not in FaceArea.values for area in value):
        raise ValidationError(f"Choose areas among: {', '.join(FaceArea.values)}.")
    if len(set(value)) != len(value):
        raise ValidationError("An area is listed twice.")


def face_area_labels(areas: list[str]) -> str:
    """"forehead, between the brows" (lower-case labels, as sentences use them)."""
    return ", ".join(FaceArea(area).label.lower() for area in areas)


class Patient(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other"

    class Contact(models.TextChoices):
        EMAIL = "email", "E-mail"
        PHONE = "phone", "Phone"
        SMS = "sms", "Text message"

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices, blank=True)
    email = models.EmailField(blank=True)
    # Stored in E.164 ("+447700900123"; see patients.phones), as are the other two phones.
    phone = models.CharField(max_length=20, blank=True)
    address = models.TextField(blank=True)
    preferred_contact = models.CharField(max_length=10, choices=Contact.choices, default=Contact.EMAIL)
    emergency_contact_name = models.CharField(max_length=150, blank=True)
    emergency_contact_phone = models.CharField(max_length=20, blank=True)
    # Required for patients under 18 (checked by the intake rules).
    guardian_name = models.CharField(max_length=150, blank=True)
    guardian_phone = models.CharField(max_length=20, blank=True)
    goals = models.TextField("goals", blank=True)
    # Explicit opt-in to reminder e-mails, remembered with its date; withdrawing keeps the date
    # of withdrawal.
    reminder_consent = models.BooleanField(default=False)
    reminder_consent_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Set once by patients.rights.patient_anonymise: name, contact and free text are gone.
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        permissions = [
            ("export_patient_data", "Can export everything held about a patient"),
            ("anonymise_patient", "Can anonymise a patient's record"),
        ]
        indexes = [
            models.Index(Lower("last_name"), Lower("first_name"), name="patient_name_idx"),
            models.Index(Lower("email"), name="patient_email_idx"),
            models.Index(fields=["phone"], name="patient_phone_idx"),
            models.Index(fields=["date_of_birth"], name="patient_dob_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(reminder_consent=False) | Q(reminder_consent_changed_at__isnull=False),
                name="patient_reminder_consent_dated",
            ),
            models.CheckConstraint(condition=~Q(first_name="") & ~Q(last_name=""), name="patient_name_required"),
            # An anonymised record has no contact details left, by design.
            models.CheckConstraint(
                condition=~Q(email="") | ~Q(phone="") | Q(anonymised_at__isnull=False), name="patient_reachable"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class ScreeningQuerySet(models.QuerySet):
    def latest_for(self, patient: "Patient | int") -> "Screening | None":
        """The answer plans and visits go by: the patient's most recent screening (None if never screened)."""
        patient_id = patient if isinstance(patient, int) else patient.pk
        return self.filter(patient_id=patient_id).order_by("-answered_at", "-id").first()


# The cosmetic procedures the screening asks about: (date field, areas field, what the patient had).
PROCEDURES: tuple[tuple[str, str, str], ...] = (
    ("botox_on", "botox_areas", "Botox"),
    ("filler_on", "filler_areas", "dermal filler"),
    ("laser_peel_on", "laser_peel_areas", "laser/peel"),
    ("surgery_on", "surgery_areas", "cosmetic surgery"),
)


class Screening(models.Model):
    """One dated answer to the screening questionnaire. Never edited: a new answer is a new row,
    and the latest one is what plans and visits go by."""

    class Source(models.TextChoices):
        STAFF = "staff", "Recorded by staff"
        PATIENT_INTAKE = "patient_intake", "Reported by the patient (online intake)"
        PATIENT_CHECK = "patient_check", "Reported by the patient (health check)"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="screenings")
    answered_at = models.DateTimeField(db_index=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.STAFF)

    pregnant_or_trying = models.BooleanField("pregnant or trying to conceive", default=False)
    bleeding_risk = models.BooleanField("bleeding disorder, or anticoagulant/antiplatelet medication", default=False)
    active_skin_infection = models.BooleanField("active skin infection on the face", default=False)
    facial_wound_or_rash = models.BooleanField("open wounds or rash on the face", default=False)
    # Each cosmetic procedure with its date and the treated areas (FaceArea values): planning
    # leaves the areas alone for that procedure's wait period (PlanSettings).
    botox_on = models.DateField("date of the last Botox", null=True, blank=True)
    botox_areas = models.JSONField("Botox areas", default=list, blank=True, validators=[validate_face_areas])
    filler_on = models.DateField("date of the last dermal filler", null=True, blank=True)
    filler_areas = models.JSONField("filler areas", default=list, blank=True, validators=[validate_face_areas])
    laser_peel_on = models.DateField("date of the last laser or peel", null=True, blank=True)
    laser_peel_areas = models.JSONField("laser/peel areas", default=list, blank=True, validators=[validate_face_areas])
    surgery_on = models.DateField("date of the last cosmetic surgery", null=True, blank=True)
    surgery_areas = models.JSONField("surgery areas", default=list, blank=True, validators=[validate_face_areas])
    implanted_device = models.BooleanField("pacemaker or implanted device", default=False)
    keloid_scarring = models.BooleanField("keloid scarring", default=False)
    severe_migraines = models.BooleanField("severe migraines", default=False)
    uncontrolled_blood_pressure = models.BooleanField("uncontrolled high blood pressure", default=False)
    diabetes = models.BooleanField(default=False)
    epilepsy = models.BooleanField(default=False)
    fainting_history = models.BooleanField("needle fear or fainting history", default=False)
    metal_allergy = models.BooleanField("metal (nickel) allergy", default=False)
    allergies = models.TextField("allergies (e.g. metals)", blank=True)
    medications = models.TextField("current medications", blank=True)
    notes = models.TextField(blank=True)

    objects = ScreeningQuerySet.as_manager()

    # The yes/no answers, in the order the questionnaire asks them.
    FLAG_FIELDS = (
        "pregnant_or_trying",
        "bleeding_risk",
        "active_skin_infection",
        "facial_wound_or_rash",
        "implanted_device",
        "keloid_scarring",
        "severe_migraines",
        "uncontrolled_blood_pressure",
        "diabetes",
        "epilepsy",
        "fainting_history",
        "metal_allergy",
    )
    PROCEDURES = PROCEDURES

    class Meta:
        ordering = ["-answered_at", "-id"]
        get_latest_by = ["answered_at", "id"]
        # Treated areas without a date could never be excluded for the right period.
        constraints = [
            models.CheckConstraint(
                condition=Q(**{f"{on}__isnull": False}) | Q(**{areas: []}), name=f"screening_{areas}_need_date"
            )
            for on, areas, _ in PROCEDURES
        ]

    def __str__(self) -> str:
        return f"Screening of {self.patient} on {self.answered_at:%Y-%m-%d}"

    @property
    def reported_by_patient(self) -> bool:
        """Answered by the patient alone: staff review it with them at the visit."""
        return self.source != self.Source.STAFF

    def positive_answers(self) -> list[str]:
        """Human-readable list of what the patient answered yes to (for alerts and summaries)."""
        answers = [str(self._meta.get_field(name).verbose_name) for name in self.FLAG_FIELDS if getattr(self, name)]
        for on_field, areas_field, what in self.PROCEDURES:
            if on := getattr(self, on_field):
                areas = face_area_labels(getattr(self, areas_field)) or "area not given"
                answers.append(f"{what} on {on:%d %b %Y} ({areas})")
        return answers


class Concern(models.Model):
    """A cosmetic concern the clinic treats (catalogue; the clinic admin can add more)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80, unique=True)
    description = models.CharField(max_length=200, blank=True)
    display_order = models.PositiveSmallIntegerField(default=100)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["display_order", "name"]

    def __str__(self) -> str:
        return self.name


class PatientConcern(models.Model):
    """A patient's concern with its severity (0–10): as first recorded (usually at intake; the
    baseline outcomes are measured from, never changed) and as currently stated."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="concerns")
    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="+")
    severity = models.PositiveSmallIntegerField()
    initial_severity = models.PositiveSmallIntegerField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-severity", "concern__display_order"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "concern"], name="patient_concern_once"),
            models.CheckConstraint(condition=Q(severity__gte=0) & Q(severity__lte=10), name="concern_severity_0_10"),
            models.CheckConstraint(
                condition=Q(initial_severity__gte=0) & Q(initial_severity__lte=10), name="concern_initial_severity_0_10"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.concern} ({self.severity}/10)"


class Consent(models.Model):
    """A dated consent (or its withdrawal) with the version of the form the patient signed."""

    class Kind(models.TextChoices):
        TREATMENT = "treatment", "Treatment"
        PHOTOS = "photos", "Photographs"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    given = models.BooleanField()
    form_version = models.CharField(max_length=20)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(form_version=""), name="consent_form_version_required")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} consent {'given' if self.given else 'withdrawn'} {self.recorded_at:%Y-%m-%d}"
