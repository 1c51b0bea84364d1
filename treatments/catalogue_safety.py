"""The clinic admin's edits of the safety-relevant catalogue and settings: which hard rules a point
carries (shown read-only, with why), which cautions may only be added, and the audit trail of
every change with its before and after values."""

from __future__ import annotations

from django.db import models

from staff.audit import audit_record
from staff.models import AuditEvent
from treatments import hard_rules
from treatments.models import Adjunct, NeedlingPattern, PlanSettings, Point

# The fields whose change can make a plan less safe: each change is audited field by field.
SAFETY_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Point: (
        "code", "kind", "region", "face_areas", "side", "face_x", "face_y", "near_eye",
        "avoid_in_pregnancy", "lower_abdominal", "caution",
    ),
    NeedlingPattern: ("code", "face_areas", "bilateral", "needles_min", "needles_max"),
    Adjunct: ("code", "electrical", "avoid_with_bleeding_risk", "description"),
    PlanSettings: tuple(field.name for field in PlanSettings._meta.concrete_fields if field.name != "id"),
}

# Cautions an admin can add but never take away: once ticked, the admin shows them read-only.
ONE_WAY_CAUTIONS: dict[type[models.Model], tuple[str, ...]] = {
    Point: ("near_eye", "avoid_in_pregnancy", "lower_abdominal"),
    Adjunct: ("electrical", "avoid_with_bleeding_risk"),
}


def hard_rule_reasons(point: Point) -> list[str]:
    """Why the point is in the hard pregnancy set (empty when it is not), in the admin's words."""
    reasons = []
    if hard_rules.forbidden_in_pregnancy(code=point.code, region=""):
        reasons.append(f"{point.code} is one of the points never needled in pregnancy")
    if hard_rules.forbidden_in_pregnancy(code="", region=point.region):
        reasons.append(f"its region “{point.region}” is abdominal: no abdominal points in pregnancy")
    return reasons


def locked_fields(obj: models.Model | None) -> tuple[str, ...]:
    """The fields the admin may not change on this row: cautions already set, and for a point in
    the hard pregnancy set, the code and region that put it there."""
    if obj is None or obj.pk is None:
        return ()
    locked = [name for name in ONE_WAY_CAUTIONS.get(type(obj), ()) if getattr(obj, name)]
    if isinstance(obj, Point) and hard_rule_reasons(obj):
        locked += ["code", "region"]
    return tuple(locked)


def _json(value):
    return value if isinstance(value, (bool, int, float, str, list, dict, type(None))) else str(value)


def safety_changes(before: models.Model | None, after: models.Model | None) -> dict[str, list]:
    """{field: [before, after]} for the safety fields that differ (all of them for a row created
    or deleted, with null on the missing side)."""
    model = type(after if after is not None else before)
    changes = {}
    for name in SAFETY_FIELDS[model]:
        old = _json(getattr(before, name)) if before is not None else None
        new = _json(getattr(after, name)) if after is not None else None
        if before is None or after is None or old != new:
            changes[name] = [old, new]
    return changes


def catalogue_change_record(*, by, before: models.Model | None, after: models.Model | None) -> None:
    """Audits a change to a safety-relevant catalogue row or the plan settings (create: no
    ``before``; delete: no ``after``). Nothing is written when no safety field changed."""
    changes = safety_changes(before, after)
    if not changes:
        return
    if before is None:
        action, obj = AuditEvent.Action.CREATE, after
    elif after is None:
        action, obj = AuditEvent.Action.DELETE, before
    else:
        action, obj = AuditEvent.Action.CHANGE, after
    audit_record(user=by, action=action, obj=obj, patient_id=None, changes=changes, summary=f"{obj._meta.verbose_name}: {obj}")
