"""Series outcomes: the patient's rating of each concern across the series' sessions, the change
from intake, and the series summary (sessions done, needles, reactions). Read in a fixed number of
queries; the chart is plain SVG geometry the template draws."""

from dataclasses import dataclass, field

from scheduling.models import Series
from treatments.catalogue import concern_names
from treatments.chart import concern_colours
from treatments.models import ConcernRating, Reaction, SessionRecord

# The chart's drawing area inside a 600 × 280 viewBox (room on the left for the 0–10 axis and
# below for session labels).
WIDTH, HEIGHT = 600, 280
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 14, 40


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    value: int
    label: str  # "Intake" or "Session 3"


@dataclass
class ConcernOutcome:
    code: str
    name: str
    colour: str
    intake: int | None
    ratings: list[int | None]  # one per recorded session, in visit order
    points: list[ChartPoint] = field(default_factory=list)

    @property
    def latest(self) -> int | None:
        return next((r for r in reversed(self.ratings) if r is not None), None)

    @property
    def change(self) -> int | None:
        """Latest rating minus intake severity: negative is better (the concern is milder)."""
        if self.intake is None or self.latest is None:
            return None
        return self.latest - self.intake

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.points)


@dataclass
class SeriesOutcome:
    series: Series
    records: list[SessionRecord]
    concerns: list[ConcernOutcome]
    reactions: list[Reaction]
    x_labels: list[tuple[float, str]]  # (x, label) along the bottom axis
    y_ticks: list[tuple[float, int]]  # (y, value) along the left axis

    @property
    def sessions_done(self) -> int:
        return len(self.records)

    @property
    def total_needles(self) -> int:
        return sum(record.total_needles for record in self.records)

    @property
    def adverse_events(self) -> list[Reaction]:
        """Reactions worse than mild: what the summary for the patient's file must show first."""
        return [r for r in self.reactions if r.severity != Reaction.Severity.MILD]

    @property
    def width(self) -> int:
        return WIDTH

    @property
    def height(self) -> int:
        return HEIGHT


def _y(value: int) -> float:
    return round(TOP + (10 - value) * (HEIGHT - TOP - BOTTOM) / 10, 1)


def series_outcome(series: Series) -> SeriesOutcome:
    """Ratings per concern over the series, from intake to the latest session (5 queries)."""
    records = list(
        SessionRecord.objects.filter(series=series).select_related("visit", "recorded_by").order_by("visit__starts_at", "id")
    )
    index = {record.pk: i for i, record in enumerate(records)}
    ratings = ConcernRating.objects.filter(record__series=series).values_list("record_id", "concern__code", "rating")
    by_concern: dict[str, list[int | None]] = {}
    for record_id, code, rating in ratings:
        by_concern.setdefault(code, [None] * len(records))[index[record_id]] = rating
    intake = dict(series.patient.concerns.values_list("concern__code", "initial_severity"))
    reactions = list(
        Reaction.objects.filter(record__series=series).select_related("record__visit").order_by("record__visit__starts_at", "id")
    )
    names = concern_names()
    colours = concern_colours(names)

    # Intake at x = 0, then one step per planned session, so the chart also shows how far
    # through the course the patient is (a make-up session may add one more).
    steps = max(len(records), series.sessions_planned)
    step = (WIDTH - LEFT - RIGHT) / steps
    x_of = lambda i: round(LEFT + i * step, 1)  # noqa: E731
    x_labels = [(x_of(0), "Intake")] + [(x_of(i + 1), str(r.visit.sequence or i + 1)) for i, r in enumerate(records)]

    concerns = []
    for code, name in names.items():
        if code not in intake and code not in by_concern:
            continue
        outcome = ConcernOutcome(code, name, colours[code], intake.get(code), by_concern.get(code, [None] * len(records)))
        if outcome.intake is not None:
            outcome.points.append(ChartPoint(x_of(0), _y(outcome.intake), outcome.intake, "Intake"))
        for i, (record, value) in enumerate(zip(records, outcome.ratings)):
            if value is not None:
                label = f"Session {record.visit.sequence or i + 1}"
                outcome.points.append(ChartPoint(x_of(i + 1), _y(value), value, label))
        concerns.append(outcome)
    return SeriesOutcome(
        series=series,
        records=records,
        concerns=concerns,
        reactions=reactions,
        x_labels=x_labels,
        y_ticks=[(_y(v), v) for v in (0, 2, 4, 6, 8, 10)],
    )
