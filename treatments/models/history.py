"""Clinical history rows (plans, session records and their items): inserted once through the
model's checks — one by one with ``save()`` or together with ``insert_checked`` — never changed."""

from functools import cached_property

from django.core.exceptions import ValidationError
from django.db import NotSupportedError, models
from django.db.models import Q, Sum
from django.utils import timezone

from patients.models import Screening
from treatments.models.catalogue import Adjunct, NeedlingPattern, PlanSettings, Point
from treatments.row_checks import item_row_problems
from treatments.rules import Facts, Rules, accepting_near_eye, screening_facts


class WriteOnceQuerySet(models.QuerySet):
    """Plans and session records are history and every row goes through the model's checks: no
    unchecked bulk or in-place writes, no deletes (the database refuses them too:
    ``treatments.triggers.HISTORY_TABLES``)."""

    def _refuse(self, *args, **kwargs):
        raise NotSupportedError(
            f"{self.model._meta.verbose_name} rows are written one by one through the treatments services "
            "(plan_save, session_record_save) and never changed."
        )

    bulk_create = bulk_update = update = update_or_create = delete = _refuse

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

    def save(self, *args, **kwargs) -> None:
        # A row with an id is a saved one, whatever ``_state.adding`` says: Django would UPDATE it.
        if not self._state.adding or self.pk is not None:
            raise ValidationError(self.kept_message)
        problems = self.insert_problems([self])
        if problems:
            raise ValidationError(problems)
        super().save(*args, **{**kwargs, "force_insert": True})

    @classmethod
    def insert_problems(cls, rows: list["HistoryRow"]) -> list[str]:
        """Every rule the new rows break (empty when they may be inserted)."""
        raise NotImplementedError

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

    def _screening_problems(self, *, what: str) -> list[str]:
        """The screening must be the patient's own, and their latest (1 query)."""
        if self.screening.patient_id != self.patient_id:
            return ["The screening belongs to another patient."]
        if self.screening.pk != getattr(Screening.objects.latest_for(self.patient_id), "pk", None):
            return [f"The patient has a newer screening: the {what} must be checked against it."]
        return []


class ItemKind(models.TextChoices):
    POINT = "point", "Point"
    PATTERN = "pattern", "Local needling"
    ADJUNCT = "adjunct", "Adjunct"


def one_target_matching_kind() -> Q:
    return (
        (Q(kind=ItemKind.POINT) & Q(point__isnull=False) & Q(pattern__isnull=True) & Q(adjunct__isnull=True)
         & Q(needles__gte=1) & Q(needles__lte=2))
        | (Q(kind=ItemKind.PATTERN) & Q(point__isnull=True) & Q(pattern__isnull=False) & Q(adjunct__isnull=True)
           & Q(needles__gte=1) & Q(needles__lte=10))
        | (Q(kind=ItemKind.ADJUNCT) & Q(point__isnull=True) & Q(pattern__isnull=True) & Q(adjunct__isnull=False)
           & Q(needles=0))
    )


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
    def parent(self) -> CheckedParent:
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
