"""Point catalogue, plan settings, patients' point plans and session records (one module each).

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
  or belongs to another patient, or one older than the patient's latest screening.
* Saved rows are never changed or deleted, by the ORM (``save()`` of a saved row, queryset
  ``delete()``) or by raw SQL: the write-once triggers of ``treatments.triggers.HISTORY_TABLES``.

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

from treatments.models.addenda import SessionAddendum
from treatments.models.catalogue import SETTING_BOUNDS, Adjunct, ConcernTarget, NeedlingPattern, PlanSettings, Point
from treatments.models.history import CheckedParent, HistoryRow, ItemKind, TargetItem, WriteOnceQuerySet
from treatments.models.plans import Plan, PlanItem, PlanTemplate, PlanTemplateItem
from treatments.models.sessions import (
    ConcernRating,
    PhotoView,
    Reaction,
    ReactionKind,
    ReactionSeverity,
    SessionItem,
    SessionPhoto,
    SessionRecord,
)

__all__ = [
    "SETTING_BOUNDS", "Adjunct", "CheckedParent", "ConcernRating", "ConcernTarget", "HistoryRow", "ItemKind",
    "NeedlingPattern", "PhotoView", "Plan", "PlanItem", "PlanSettings", "PlanTemplate", "PlanTemplateItem", "Point",
    "Reaction", "ReactionKind", "ReactionSeverity", "SessionAddendum", "SessionItem", "SessionPhoto", "SessionRecord",
    "TargetItem", "WriteOnceQuerySet",
]
