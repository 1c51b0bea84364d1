"""Selectors for the point catalogue: read it once into the plain values the rules and the
suggestion take (``treatments.rules.Option``), in a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass

from patients.models import Concern
from treatments.models import Adjunct, ConcernTarget, ItemKind, NeedlingPattern, PlanSettings, Point
from treatments.rules import Chosen, Option, Rules


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
        *(p.as_option(tuple(weights[("point", p.pk)])) for p in Point.objects.all()),
        *(p.as_option(tuple(weights[("pattern", p.pk)])) for p in NeedlingPattern.objects.all()),
        *(a.as_option(tuple(weights[("adjunct", a.pk)])) for a in Adjunct.objects.all()),
    ]


def concern_names() -> dict[str, str]:
    """Active concerns in display order, code → name (1 query)."""
    return dict(Concern.objects.filter(active=True).values_list("code", "name"))


@dataclass(frozen=True)
class Catalogue:
    """What the rules take from the database, read once: the clinic settings, the catalogue's
    options and its concerns."""

    rules: Rules
    options: list[Option]
    concern_names: dict[str, str]

    def by_key(self) -> dict[str, Option]:
        return {option.key: option for option in self.options}


def load_catalogue() -> Catalogue:
    """Settings, options and concerns (6 queries)."""
    return Catalogue(rules=PlanSettings.rules(), options=load_options(), concern_names=concern_names())


def catalogue_rows(items: list[Chosen]) -> dict[str, Point | NeedlingPattern | Adjunct]:
    """The catalogue rows for the chosen options, keyed like Option.key (3 queries)."""
    codes = {kind: {i.option.code for i in items if i.option.kind == kind} for kind in ItemKind.values}
    found: dict[str, Point | NeedlingPattern | Adjunct] = {}
    for kind, model in (("point", Point), ("pattern", NeedlingPattern), ("adjunct", Adjunct)):
        for row in model.objects.filter(code__in=codes[kind]):
            found[f"{kind}:{row.code}"] = row
    return found


def saved_items(rows, *, concerns: dict[str, str], reason: str = "") -> list[Chosen]:
    """Saved plan, record or template items (their targets selected) as ``Chosen`` values;
    ``concerns`` maps an option key to the concern it serves."""
    options = [row.target.as_option() for row in rows]
    return [Chosen(option, row.needles, concerns.get(option.key), reason) for option, row in zip(options, rows, strict=True)]
