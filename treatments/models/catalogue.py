"""The clinic's plan settings (bounded by ``treatments.hard_rules``) and the point catalogue:
points, line patterns, adjuncts and the concerns they serve."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from patients.models import Concern, face_area_labels, validate_face_areas
from treatments import hard_rules
from treatments.rules import Option, Rules

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
        help_text="For face points: the areas the screening asks about (Botox, filler, laser, surgery); "
        "a point may lie in several.",
    )
    side = models.CharField(max_length=1, choices=Side.choices)
    # Position on the face diagram (frontal view, 0–100 left→right of the image and hairline→chin);
    # a bilateral point's mirror is at 100 − x.
    face_x = models.PositiveSmallIntegerField(null=True, blank=True)
    face_y = models.PositiveSmallIntegerField(null=True, blank=True)
    role = models.CharField(max_length=120, blank=True, help_text="What it is used for.")
    near_eye = models.BooleanField(
        default=False,
        help_text="Needling it risks a bruise or bleed at the eye (e.g. ST1): a risk to acknowledge with bleeding risk.",
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
        return f"{self.code} {self.pinyin}" + (f" ({self.former_code})" if self.former_code else "")

    @property
    def needles(self) -> int:
        return 2 if self.side == self.Side.BILATERAL else 1

    def as_option(self, weights: tuple[tuple[str, int], ...] = ()) -> Option:
        return Option(
            kind="point",
            code=self.code,
            # The older code beside the name ("GV29 Yintang (EX-HN3)"): practitioners still know it.
            name=f"{self.pinyin} ({self.former_code})" if self.former_code else self.pinyin,
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
