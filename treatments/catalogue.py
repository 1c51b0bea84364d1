"""Reads the point catalogue into plain ``planning.Option`` values (a fixed number of queries)."""

from collections import defaultdict

from patients.models import Concern, face_area_labels
from treatments.models import Adjunct, ConcernTarget, ItemKind, NeedlingPattern, Point
from treatments.planning import Chosen, Option


def option_from_point(point: Point, weights: tuple = ()) -> Option:
    return Option(
        kind="point",
        code=point.code,
        # The older code beside the name ("GV29 Yintang (EX-HN3)"): practitioners still know it.
        name=f"{point.pinyin} ({point.former_code})" if point.former_code else point.pinyin,
        region=point.region,
        face_areas=tuple(point.face_areas),
        on_face=point.kind == Point.Kind.FACE,
        needles_min=point.needles,
        needles_max=point.needles,
        avoid_in_pregnancy=point.avoid_in_pregnancy,
        lower_abdominal=point.lower_abdominal,
        caution=point.caution,
        order=point.display_order,
        weights=weights,
        position=(point.face_x, point.face_y) if point.face_x is not None else None,
        bilateral=point.side == Point.Side.BILATERAL,
    )


def option_from_pattern(pattern: NeedlingPattern, weights: tuple = ()) -> Option:
    return Option(
        kind="pattern",
        code=pattern.code,
        name=pattern.name,
        region=face_area_labels(pattern.face_areas),
        face_areas=tuple(pattern.face_areas),
        on_face=True,
        needles_min=pattern.needles_min,
        needles_max=pattern.needles_max,
        caution="local (intradermal) needling",
        order=pattern.display_order,
        weights=weights,
        line=(pattern.line_x1, pattern.line_y1, pattern.line_x2, pattern.line_y2),
        bilateral=pattern.bilateral,
    )


def option_from_adjunct(adjunct: Adjunct, weights: tuple = ()) -> Option:
    return Option(
        kind="adjunct",
        code=adjunct.code,
        name=adjunct.name,
        region="face",
        on_face=True,
        avoid_with_bleeding_risk=adjunct.avoid_with_bleeding_risk,
        caution=adjunct.description,
        order=adjunct.display_order,
        weights=weights,
    )


def load_options() -> list[Option]:
    """Every point, pattern and adjunct with its concern weights (4 queries)."""
    weights: dict[tuple[str, int], list[tuple[str, int]]] = defaultdict(list)
    for target in ConcernTarget.objects.select_related("concern").order_by("concern__display_order", "id"):
        if target.point_id:
            key = ("point", target.point_id)
        elif target.pattern_id:
            key = ("pattern", target.pattern_id)
        else:
            key = ("adjunct", target.adjunct_id)
        weights[key].append((target.concern.code, target.weight))
    return [
        *(option_from_point(p, tuple(weights[("point", p.pk)])) for p in Point.objects.all()),
        *(option_from_pattern(p, tuple(weights[("pattern", p.pk)])) for p in NeedlingPattern.objects.all()),
        *(option_from_adjunct(a, tuple(weights[("adjunct", a.pk)])) for a in Adjunct.objects.all()),
    ]


def concern_names() -> dict[str, str]:
    """Active concerns in display order, code → name (1 query)."""
    return dict(Concern.objects.filter(active=True).values_list("code", "name"))


def catalogue_rows(items: list[Chosen]) -> dict[str, Point | NeedlingPattern | Adjunct]:
    """The catalogue rows for the chosen options, keyed like Option.key (3 queries)."""
    codes = {kind: {i.option.code for i in items if i.option.kind == kind} for kind in ItemKind.values}
    found: dict[str, Point | NeedlingPattern | Adjunct] = {}
    for kind, model in (("point", Point), ("pattern", NeedlingPattern), ("adjunct", Adjunct)):
        for row in model.objects.filter(code__in=codes[kind]):
            found[f"{kind}:{row.code}"] = row
    return found
