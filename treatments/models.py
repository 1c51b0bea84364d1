"""Point catalogue, plan settings, and patients' point plans.

Safety is held here, not in forms. A plan is written once, as a whole, by
``treatments.services.plan_save``, and can never be edited afterwards (a new plan is a new row;
the latest is the current one). Whatever code writes a plan, the model layer re-checks it:

* ``Plan.save()`` refuses a plan unless its screening is the patient's latest, treatment is not
  blocked by that screening (active facial infection, wound or rash), the stored needle and
  retention limits are exactly the ones the rules give for that screening and the clinic
  settings, and the patient's risk acknowledgement is recorded where the rules ask for one.
* ``PlanItem.save()`` refuses an item that the rules exclude for the plan's screening (a
  pregnancy-cautioned or lower-abdominal point for a pregnant patient, a face point in an area
  treated with filler/Botox or laser in the wait period, local needling with keloid scarring,
  cupping with bleeding risk, ...) and an item that would take the plan past its stored total.
* The database checks what a single row can hold: totals within the plan's stored limits,
  retention within them, each item's needle count fitting its kind, no item twice.
* The queryset methods that would skip ``save()`` (``bulk_create``, ``update``,
  ``bulk_update``) are refused for plans and their items, so there is no ORM path around the
  checks; rows are never edited.
* Below the ORM, database triggers (migration 0003, PostgreSQL and SQLite) hold the absolute
  rules even against raw SQL: no pregnancy-cautioned or lower-abdominal point in a plan whose
  screening says pregnant, and no plan at all against a screening that blocks facial treatment
  or belongs to another patient.

Session records (what was actually done at a visit) are held the same way: written once by
``treatments.sessions.session_record_save``; ``SessionRecord.save()`` and ``SessionItem.save()``
re-check the plan's rules against the screening confirmed at the visit (exclusions, needle counts,
the needle and retention maxima); bulk and in-place writes are refused; and the triggers of
migration 0005 refuse a pregnancy-cautioned point, or a record against a blocking screening, below
the ORM.

The rules themselves live in ``treatments.rules`` (one place, no ORM; the suggestion, the
services and these models all call the same functions). A parent row (plan, record) loads its
inputs once — the clinic settings and its screening's facts — and its items reuse them: adding a
whole plan's items through ``insert_checked`` costs the same few queries whatever their number.
"""

from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import NotSupportedError, models
from django.db.models import Count, Q, Sum
from django.utils import timezone

from patients.models import Concern, Patient, Screening, face_area_labels, validate_face_areas
from treatments import hard_rules
from treatments.rules import (
    Facts,
    Limits,
    Option,
    Rules,
    accepting_near_eye,
    item_row_problems,
    light_session,
    new_risks,
    plan_row_problems,
    screening_facts,
    session_row_problems,
)


# Each setting's bounds (treatments.hard_rules): held by check constraints and explained by
# PlanSettings.clean(). (floor, ceiling or None, what the bound protects, in the admin's words)
SETTING_BOUNDS: dict[str, tuple[int, int | None, str]] = {
    "needles_min": (hard_rules.NEEDLES_FLOOR, hard_rules.NEEDLES_CEILING, "needles in a plan"),
    "needles_max": (hard_rules.NEEDLES_FLOOR, hard_rules.NEEDLES_CEILING, "needles in a plan"),
    "reduced_needles_max": (hard_rules.NEEDLES_FLOOR, hard_rules.NEEDLES_CEILING, "needles in a plan"),
    "retention_min": (hard_rules.RETENTION_FLOOR, hard_rules.RETENTION_CEILING, "minutes of retention"),
    "retention_max": (hard_rules.RETENTION_FLOOR, hard_rules.RETENTION_CEILING, "minutes of retention"),
    "botox_wait_days": (hard_rules.BOTOX_WAIT_FLOOR_DAYS, None, "days after Botox"),
    "filler_wait_days": (hard_rules.FILLER_WAIT_FLOOR_DAYS, None, "days after dermal filler"),
    "laser_peel_wait_days": (hard_rules.LASER_PEEL_WAIT_FLOOR_DAYS, None, "days after laser or a peel"),
    "surgery_wait_days": (hard_rules.SURGERY_WAIT_FLOOR_DAYS, None, "days after cosmetic surgery"),
}


def _within_bounds(name: str) -> Q:
    floor, ceiling, _ = SETTING_BOUNDS[name]
    condition = Q(**{f"{name}__gte": floor})
    return condition & Q(**{f"{name}__lte": ceiling}) if ceiling is not None else condition


class PlanSettings(models.Model):
    """The clinic's plan rules (one row, edited by the clinic admin). Defaults are SPEC §3's; the
    clinic chooses only within the safe bounds of ``treatments.hard_rules``."""

    needles_min = models.PositiveSmallIntegerField("fewest needles in a plan", default=40)
    needles_max = models.PositiveSmallIntegerField("most needles in a plan", default=70)
    reduced_needles_max = models.PositiveSmallIntegerField(
        "most needles with bleeding risk or a fainting history",
        default=46,
        help_text="“Fewer needles, lower end of the range”: the cap for patients with a bleeding risk or fainting history.",
    )
    retention_min = models.PositiveSmallIntegerField("shortest retention (minutes)", default=20)
    retention_max = models.PositiveSmallIntegerField("longest retention (minutes)", default=30)
    botox_wait_days = models.PositiveSmallIntegerField("days after Botox before needling the treated area", default=14)
    filler_wait_days = models.PositiveSmallIntegerField(
        "days after dermal filler before needling the treated area", default=14
    )
    laser_peel_wait_days = models.PositiveSmallIntegerField(
        "days after laser or a peel before needling the treated area", default=30
    )
    surgery_wait_days = models.PositiveSmallIntegerField(
        "days after cosmetic surgery before needling the treated area", default=30
    )

    class Meta:
        verbose_name = "plan settings"
        verbose_name_plural = "plan settings"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="plansettings_single_row"),
            *(models.CheckConstraint(condition=_within_bounds(name), name=f"plansettings_{name}_bounds")
              for name in SETTING_BOUNDS),
            models.CheckConstraint(condition=Q(needles_min__lte=models.F("needles_max")), name="plansettings_needle_range"),
            models.CheckConstraint(
                condition=Q(reduced_needles_max__gte=models.F("needles_min"))
                & Q(reduced_needles_max__lt=models.F("needles_max")),
                name="plansettings_reduced_below_max",
            ),
            models.CheckConstraint(
                condition=Q(retention_min__lte=models.F("retention_max")), name="plansettings_retention_range"
            ),
        ]

    def __str__(self) -> str:
        return "Plan settings"

    @classmethod
    def load(cls) -> "PlanSettings":
        settings_row, _ = cls.objects.get_or_create(pk=1)
        return settings_row

    @classmethod
    def rules(cls) -> Rules:
        """The clinic's settings as the plain values the rules take (1 query)."""
        row = cls.load()
        return Rules(
            needles_min=row.needles_min,
            needles_max=row.needles_max,
            reduced_needles_max=row.reduced_needles_max,
            retention_min=row.retention_min,
            retention_max=row.retention_max,
            botox_wait_days=row.botox_wait_days,
            filler_wait_days=row.filler_wait_days,
            laser_peel_wait_days=row.laser_peel_wait_days,
            surgery_wait_days=row.surgery_wait_days,
        )

    def clean(self) -> None:
        # The same rules as the constraints, one message per field for the admin form.
        errors = {}
        for name, (floor, ceiling, what) in SETTING_BOUNDS.items():
            value = getattr(self, name)
            if value is None:
                continue
            if ceiling is None and value < floor:
                errors[name] = f"At least {floor} {what}: a shorter wait is not safe."
            elif ceiling is not None and not floor <= value <= ceiling:
                errors[name] = f"Between {floor} and {ceiling} {what}: values outside are not safe."
        if errors:
            raise ValidationError(errors)
        if self.needles_min > self.needles_max:
            errors["needles_max"] = "The most needles must be at least the fewest."
        elif not self.needles_min <= self.reduced_needles_max < self.needles_max:
            errors["reduced_needles_max"] = (
                f"The reduced cap must be at least the fewest needles ({self.needles_min}) and below the most "
                f"({self.needles_max}): it is the lighter plan for bleeding risk or fainting."
            )
        if self.retention_min > self.retention_max:
            errors["retention_max"] = "Retention: the longest must be at least the shortest."
        if errors:
            raise ValidationError(errors)


# --- Catalogue ------------------------------------------------------------------------------------
class Point(models.Model):
    class Kind(models.TextChoices):
        FACE = "face", "Face"
        HEAD = "head", "Head and neck (not on the face)"
        BODY = "body", "Body (distal)"

    class Side(models.TextChoices):
        BILATERAL = "B", "Bilateral (2 needles)"
        MIDLINE = "M", "Midline (1 needle)"

    code = models.CharField("WHO code", max_length=12, unique=True, help_text="WHO 2008 standard code (e.g. GV29).")
    former_code = models.CharField(
        max_length=12, blank=True, help_text="An older code practitioners may know it by (e.g. EX-HN3 for Yintang)."
    )
    pinyin = models.CharField(max_length=40)
    kind = models.CharField(max_length=4, choices=Kind.choices)
    region = models.CharField(max_length=60, help_text="Where it is, as practitioners say it (e.g. “forehead (corner)”).")
    face_areas = models.JSONField(
        default=list, blank=True, validators=[validate_face_areas],
        help_text="For face points: the areas the screening asks about (Botox, filler, laser, surgery); a point may lie in several.",
    )
    side = models.CharField(max_length=1, choices=Side.choices)
    # Position on the face diagram (frontal view, 0–100 left→right of the image and hairline→chin);
    # a bilateral point's mirror is at 100 − x.
    face_x = models.PositiveSmallIntegerField(null=True, blank=True)
    face_y = models.PositiveSmallIntegerField(null=True, blank=True)
    role = models.CharField(max_length=120, blank=True, help_text="What it is used for.")
    near_eye = models.BooleanField(
        default=False, help_text="Needling it risks a bruise or bleed at the eye (e.g. ST1): a risk to acknowledge with bleeding risk."
    )
    avoid_in_pregnancy = models.BooleanField(default=False)
    lower_abdominal = models.BooleanField(default=False, help_text="Lower-abdominal points are never used in pregnancy.")
    caution = models.CharField(max_length=120, blank=True, help_text="Shown to the practitioner beside the point.")
    display_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["display_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(face_x__isnull=True) & Q(face_y__isnull=True))
                | (Q(face_x__lte=100) & Q(face_y__lte=100)),
                name="point_face_position_pair",
            ),
            # A face point has an area (so treated areas can exclude it) and a place on the chart.
            models.CheckConstraint(
                condition=~Q(kind="face") | (~Q(face_areas=[]) & Q(face_x__isnull=False)),
                name="point_face_needs_areas_and_position",
            ),
            models.CheckConstraint(condition=Q(kind="face") | Q(face_areas=[]), name="point_areas_only_on_face"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.pinyin}"

    @property
    def needles(self) -> int:
        return 2 if self.side == self.Side.BILATERAL else 1

    def as_option(self, weights: tuple[tuple[str, int], ...] = ()) -> Option:
        return Option(
            kind="point",
            code=self.code,
            name=self.pinyin,
            region=self.region,
            face_areas=tuple(self.face_areas),
            on_face=self.kind == self.Kind.FACE,
            needles_min=self.needles,
            needles_max=self.needles,
            avoid_in_pregnancy=self.avoid_in_pregnancy,
            lower_abdominal=self.lower_abdominal,
            near_eye=self.near_eye,
            caution=self.caution,
            order=self.display_order,
            weights=weights,
            position=(self.face_x, self.face_y) if self.face_x is not None else None,
            bilateral=self.side == self.Side.BILATERAL,
        )


class NeedlingPattern(models.Model):
    """Local needling along a line (e.g. intradermal needles into forehead lines), counted per needle."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    face_areas = models.JSONField(validators=[validate_face_areas], help_text="The face areas it needles (one or more).")
    bilateral = models.BooleanField(help_text="Done on both sides; the needle counts are for both sides together.")
    needles_min = models.PositiveSmallIntegerField(default=2)
    needles_max = models.PositiveSmallIntegerField(default=10)
    # The line on the face diagram (left side of the image for bilateral patterns; mirrored).
    line_x1 = models.PositiveSmallIntegerField()
    line_y1 = models.PositiveSmallIntegerField()
    line_x2 = models.PositiveSmallIntegerField()
    line_y2 = models.PositiveSmallIntegerField()
    display_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["display_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(needles_min__gte=1) & Q(needles_min__lte=models.F("needles_max")) & Q(needles_max__lte=10),
                name="pattern_needles_1_to_10",
            ),
            models.CheckConstraint(
                condition=Q(line_x1__lte=100) & Q(line_y1__lte=100) & Q(line_x2__lte=100) & Q(line_y2__lte=100),
                name="pattern_line_on_chart",
            ),
            models.CheckConstraint(condition=~Q(face_areas=[]), name="pattern_has_face_areas"),
        ]

    def __str__(self) -> str:
        return self.name

    def as_option(self, weights: tuple[tuple[str, int], ...] = ()) -> Option:
        return Option(
            kind="pattern",
            code=self.code,
            name=self.name,
            region=face_area_labels(self.face_areas),
            face_areas=tuple(self.face_areas),
            on_face=True,
            needles_min=self.needles_min,
            needles_max=self.needles_max,
            caution="local (intradermal) needling",
            order=self.display_order,
            weights=weights,
            line=(self.line_x1, self.line_y1, self.line_x2, self.line_y2),
            bilateral=self.bilateral,
        )


class Adjunct(models.Model):
    """A technique used alongside the needles (facial gua sha, facial cupping). Always on the face."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=200, blank=True)
    avoid_with_bleeding_risk = models.BooleanField(default=False, help_text="E.g. cupping: suction bruises.")
    electrical = models.BooleanField(
        default=False, help_text="Uses electric current (e.g. microcurrent): never with a pacemaker or implanted device."
    )
    display_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["display_order", "code"]

    def __str__(self) -> str:
        return self.name

    def as_option(self, weights: tuple[tuple[str, int], ...] = ()) -> Option:
        return Option(
            kind="adjunct",
            code=self.code,
            name=self.name,
            region="face",
            on_face=True,
            avoid_with_bleeding_risk=self.avoid_with_bleeding_risk,
            electrical=self.electrical,
            caution=self.description,
            order=self.display_order,
            weights=weights,
        )


class ConcernTarget(models.Model):
    """“This point / pattern / adjunct serves this concern, with this weight (1–5).”"""

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="+")
    point = models.ForeignKey(Point, null=True, blank=True, on_delete=models.CASCADE, related_name="targets")
    pattern = models.ForeignKey(NeedlingPattern, null=True, blank=True, on_delete=models.CASCADE, related_name="targets")
    adjunct = models.ForeignKey(Adjunct, null=True, blank=True, on_delete=models.CASCADE, related_name="targets")
    weight = models.PositiveSmallIntegerField(default=2, help_text="1 (helps a little) to 5 (the main point for it).")

    class Meta:
        ordering = ["concern__display_order", "-weight", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(point__isnull=False) & Q(pattern__isnull=True) & Q(adjunct__isnull=True))
                | (Q(point__isnull=True) & Q(pattern__isnull=False) & Q(adjunct__isnull=True))
                | (Q(point__isnull=True) & Q(pattern__isnull=True) & Q(adjunct__isnull=False)),
                name="concerntarget_exactly_one_target",
            ),
            models.CheckConstraint(condition=Q(weight__gte=1) & Q(weight__lte=5), name="concerntarget_weight_1_5"),
            models.UniqueConstraint(fields=["concern", "point"], name="concerntarget_point_once"),
            models.UniqueConstraint(fields=["concern", "pattern"], name="concerntarget_pattern_once"),
            models.UniqueConstraint(fields=["concern", "adjunct"], name="concerntarget_adjunct_once"),
        ]

    def __str__(self) -> str:
        return f"{self.concern} → {self.point or self.pattern or self.adjunct} ({self.weight})"


# --- Plans ----------------------------------------------------------------------------------------
class WriteOnceQuerySet(models.QuerySet):
    """Plans and session records are history and every row goes through the model's checks: no
    unchecked bulk or in-place writes."""

    def _refuse(self, *args, **kwargs):
        raise NotSupportedError(
            f"{self.model._meta.verbose_name} rows are written one by one through the treatments services "
            "(plan_save, session_record_save) and never changed."
        )

    bulk_create = bulk_update = update = update_or_create = _refuse

    def insert_checked(self, rows: list["HistoryRow"]) -> list["HistoryRow"]:
        """Inserts new rows in one statement after the same checks ``save()`` runs, made for all
        of them together (their parents' inputs are loaded once)."""
        problems = self.model.insert_problems(rows)
        if problems:
            raise ValidationError(problems)
        return models.QuerySet.bulk_create(self, rows)


class HistoryRow(models.Model):
    """A row of clinical history (plans, session records and their items): inserted once, after
    ``insert_problems()`` finds nothing wrong, then never changed or deleted."""

    # Why the row cannot be changed, in the user's words.
    kept_message = "This is kept as history and is never changed."

    objects = WriteOnceQuerySet.as_manager()

    class Meta:
        abstract = True

    @classmethod
    def insert_problems(cls, rows: list["HistoryRow"]) -> list[str]:
        """Every rule the new rows break (empty when they may be inserted)."""
        raise NotImplementedError

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValidationError(self.kept_message)
        problems = self.insert_problems([self])
        if problems:
            raise ValidationError(problems)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(self.kept_message)


class CheckedParent(HistoryRow):
    """A plan or session record: checked against its screening on its own day, under the clinic
    settings, which it loads once for itself and all of its items."""

    # The datetime field giving the day the screening is judged on, and how items name the row.
    checked_on_field = ""
    items_whose = ""

    class Meta:
        abstract = True

    @cached_property
    def rule_facts(self) -> tuple[Rules, Facts]:
        """The settings and the screening's facts on the row's day (with the near-eye risk if the
        practitioner accepted it), loaded once for the row and its items."""
        rules = PlanSettings.rules()
        day = timezone.localdate(getattr(self, self.checked_on_field))
        facts = screening_facts(self.screening, today=day, rules=rules)
        return rules, accepting_near_eye(facts, self.acknowledged)

    @classmethod
    def insert_problems(cls, rows: list["CheckedParent"]) -> list[str]:
        return [problem for row in rows for problem in row._row_problems()]

    def _row_problems(self) -> list[str]:
        raise NotImplementedError


class ItemKind(models.TextChoices):
    POINT = "point", "Point"
    PATTERN = "pattern", "Local needling"
    ADJUNCT = "adjunct", "Adjunct"


def _one_target_matching_kind() -> Q:
    return (
        (Q(kind=ItemKind.POINT) & Q(point__isnull=False) & Q(pattern__isnull=True) & Q(adjunct__isnull=True)
         & Q(needles__gte=1) & Q(needles__lte=2))
        | (Q(kind=ItemKind.PATTERN) & Q(point__isnull=True) & Q(pattern__isnull=False) & Q(adjunct__isnull=True)
           & Q(needles__gte=1) & Q(needles__lte=10))
        | (Q(kind=ItemKind.ADJUNCT) & Q(point__isnull=True) & Q(pattern__isnull=True) & Q(adjunct__isnull=False)
           & Q(needles=0))
    )


class Plan(CheckedParent):
    """A patient's point plan as saved by an acupuncturist. The latest one is the current plan."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    # The screening the plan was checked against (the patient's latest when it was saved).
    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    retention_minutes = models.PositiveSmallIntegerField()
    total_needles = models.PositiveSmallIntegerField()
    # The limits the rules gave for this screening under the clinic settings of the day: the
    # database holds totals and retention inside them, Plan.save() holds them to the rules.
    needles_min = models.PositiveSmallIntegerField()
    needles_max = models.PositiveSmallIntegerField()
    retention_min = models.PositiveSmallIntegerField()
    retention_max = models.PositiveSmallIntegerField()
    # The practitioner chose fewer needles than the minimum (e.g. the screening rules out the
    # areas the concerns call for): the minimum is a target, never a reason to pad the plan.
    fewer_needles = models.BooleanField(default=False)
    # The risks the practitioner acknowledged before saving (e.g. bleeding risk), as shown to them.
    acknowledged = models.JSONField(default=list, blank=True)
    # Cautions that come with the plan (lying down, no electro-acupuncture, ...).
    cautions = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    started_from = models.ForeignKey("PlanTemplate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = ["created_at", "id"]
        indexes = [models.Index(fields=["patient", "-created_at", "-id"], name="plan_patient_latest_idx")]
        permissions = [("view_plan_status", "Can see whether a patient has a plan (no details)")]
        constraints = [
            models.CheckConstraint(
                condition=Q(needles_min__gte=1) & Q(needles_min__lte=models.F("needles_max")),
                name="plan_needle_limits_sane",
            ),
            # The minimum is a target the practitioner may choose to stay below; the maximum is safety.
            models.CheckConstraint(
                condition=Q(total_needles__lte=models.F("needles_max"))
                & (Q(total_needles__gte=models.F("needles_min")) | (Q(fewer_needles=True) & Q(total_needles__gte=1))),
                name="plan_total_needles_within_limits",
            ),
            models.CheckConstraint(
                condition=Q(retention_min__gte=1) & Q(retention_minutes__gte=models.F("retention_min"))
                & Q(retention_minutes__lte=models.F("retention_max")),
                name="plan_retention_within_limits",
            ),
        ]

    def __str__(self) -> str:
        return f"Plan of {self.patient} on {self.created_at:%Y-%m-%d}"

    kept_message = "A saved plan is history and is never changed: save a new plan instead."
    items_whose = "plan's"
    checked_on_field = "created_at"

    def _row_problems(self) -> list[str]:
        if self.screening.patient_id != self.patient_id:
            return ["The screening belongs to another patient."]
        latest = Screening.objects.latest_for(self.patient_id)
        if latest is None or self.screening.pk != latest.pk:
            return ["The patient has a newer screening: the plan must be checked against it."]
        rules, facts = self.rule_facts
        stored = Limits(self.needles_min, self.needles_max, self.retention_min, self.retention_max)
        return plan_row_problems(stored=stored, acknowledged=self.acknowledged, facts=facts, rules=rules)


class TargetItem(HistoryRow):
    """One line of a plan or session record: a point, a line of local needles or an adjunct
    (exactly one of them, matching ``kind``; see the subclasses' check constraints)."""

    kind = models.CharField(max_length=10, choices=ItemKind.choices)
    point = models.ForeignKey(Point, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    pattern = models.ForeignKey(NeedlingPattern, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    adjunct = models.ForeignKey(Adjunct, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    needles = models.PositiveSmallIntegerField()
    position = models.PositiveSmallIntegerField()

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.target} ({self.needles})"

    @property
    def target(self) -> Point | NeedlingPattern | Adjunct:
        return self.point or self.pattern or self.adjunct

    # The name of the foreign key to the plan or record the item belongs to.
    parent_field = ""

    @property
    def parent(self) -> "Plan | SessionRecord":
        return getattr(self, self.parent_field)

    @classmethod
    def insert_problems(cls, rows: list["TargetItem"]) -> list[str]:
        """Checks new items against their parent's screening facts and stated total: one query
        per parent (the needles it holds already), whatever the number of items."""
        problems = []
        needles_so_far: dict[int, int] = {}
        for item in rows:
            parent = item.parent
            if parent.pk not in needles_so_far:
                held = cls.objects.filter(**{f"{cls.parent_field}_id": parent.pk}).aggregate(total=Sum("needles"))
                needles_so_far[parent.pk] = held["total"] or 0
            problems += item_row_problems(
                option=item.target.as_option(), needles=item.needles, facts=parent.rule_facts[1],
                needles_before=needles_so_far[parent.pk], parent_total=parent.total_needles, whose=parent.items_whose,
            )
            needles_so_far[parent.pk] += item.needles
        return problems


class PlanItem(TargetItem):
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="items")
    # The concern the item serves (none for a supporting point added for the patient's safety).
    concern = models.ForeignKey(Concern, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=200)

    class Meta(TargetItem.Meta):
        constraints = [
            models.CheckConstraint(condition=_one_target_matching_kind(), name="planitem_one_target_matching_kind"),
            models.UniqueConstraint(fields=["plan", "point"], name="planitem_point_once"),
            models.UniqueConstraint(fields=["plan", "pattern"], name="planitem_pattern_once"),
            models.UniqueConstraint(fields=["plan", "adjunct"], name="planitem_adjunct_once"),
        ]

    @property
    def target_code(self) -> str:
        return self.target.code

    kept_message = "A saved plan is history and is never changed: save a new plan instead."
    parent_field = "plan"


class PlanTemplate(models.Model):
    """A practitioner's saved starting point. Not patient-specific: when a plan starts from a
    template, whatever the patient's screening excludes is left out (and the practitioner told)."""

    name = models.CharField(max_length=80, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    retention_minutes = models.PositiveSmallIntegerField()
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=~Q(name=""), name="plantemplate_name_required")]

    def __str__(self) -> str:
        return self.name


class PlanTemplateItem(models.Model):
    template = models.ForeignKey(PlanTemplate, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=10, choices=ItemKind.choices)
    point = models.ForeignKey(Point, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    pattern = models.ForeignKey(NeedlingPattern, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    adjunct = models.ForeignKey(Adjunct, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    needles = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=_one_target_matching_kind(), name="plantemplateitem_one_target_matching_kind"),
            models.UniqueConstraint(fields=["template", "point"], name="plantemplateitem_point_once"),
            models.UniqueConstraint(fields=["template", "pattern"], name="plantemplateitem_pattern_once"),
            models.UniqueConstraint(fields=["template", "adjunct"], name="plantemplateitem_adjunct_once"),
        ]

    @property
    def target(self) -> Point | NeedlingPattern | Adjunct:
        return self.point or self.pattern or self.adjunct

    @property
    def target_code(self) -> str:
        return self.target.code


# --- Session records --------------------------------------------------------------------------------
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
        if self.screening.patient_id != self.patient_id:
            problems.append("The screening belongs to another patient.")
        elif self.screening_id != getattr(Screening.objects.latest_for(self.patient_id), "pk", None):
            problems.append("The patient has a newer screening: the session must be checked against it.")
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
            models.CheckConstraint(condition=_one_target_matching_kind(), name="sessionitem_one_target_matching_kind"),
            models.UniqueConstraint(fields=["record", "point"], name="sessionitem_point_once"),
            models.UniqueConstraint(fields=["record", "pattern"], name="sessionitem_pattern_once"),
            models.UniqueConstraint(fields=["record", "adjunct"], name="sessionitem_adjunct_once"),
        ]

    kept_message = "A session record is never changed once saved."
    parent_field = "record"


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
    ``settings.PRIVATE_MEDIA_ROOT`` and is only ever streamed by a permission-checked view."""

    View = PhotoView

    record = models.ForeignKey(SessionRecord, on_delete=models.PROTECT, related_name="photos")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    view = models.CharField(max_length=10, choices=PhotoView.choices)
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
            models.UniqueConstraint(fields=["record", "view"], name="photo_one_per_view"),
            models.CheckConstraint(condition=Q(view__in=PhotoView.values), name="photo_view_known"),
            models.CheckConstraint(condition=Q(image_format__in=["JPEG", "PNG", "WEBP"]), name="photo_format_allowed"),
        ]

    def __str__(self) -> str:
        return f"{self.get_view_display()} photo of {self.patient} ({self.uploaded_at:%Y-%m-%d})"

    @property
    def content_type(self) -> str:
        return f"image/{self.image_format.lower()}"
