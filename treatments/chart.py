"""The face chart: where a plan's face points and line patterns go on a face outline (SVG).

Catalogue positions are 0–100 across the image (left → right) and from hairline to chin; the
template draws the outline in a 200 × 250 viewBox and these functions place the marks on it.
"""

from dataclasses import dataclass, field

from treatments.rules import Chosen

# Colour-blind-friendly, distinct in print; concerns take them in catalogue order.
PALETTE = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#b8860b", "#a6761d", "#1f78b4", "#b15928"]
SUPPORT_COLOUR = "#555555"


def _x(x: int) -> float:
    return round(20 + x * 1.6, 1)


def _y(y: int) -> float:
    return round(15 + y * 2.1, 1)


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    colour: str
    label: str
    title: str

    @property
    def label_x(self) -> float:
        return round(self.x + 4.5, 1)


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    colour: str
    title: str


@dataclass
class FaceChart:
    marks: list[Mark] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, concern name)
    off_chart: list[str] = field(default_factory=list)  # body and head points, not drawn


def concern_colours(concern_names: dict[str, str]) -> dict[str, str]:
    return {code: PALETTE[i % len(PALETTE)] for i, code in enumerate(concern_names)}


def face_chart(*, items: list[Chosen], concern_names: dict[str, str]) -> FaceChart:
    colours = concern_colours(concern_names)
    chart = FaceChart()
    used: set[str] = set()
    for item in items:
        option = item.option
        colour = colours.get(item.concern, SUPPORT_COLOUR)
        served = concern_names.get(item.concern, "general support")
        title = f"{option.label}: {served}"
        if option.position:
            x, y = option.position
            sides = [x, 100 - x] if option.bilateral else [x]
            for side_x in sides:
                chart.marks.append(Mark(_x(side_x), _y(y), colour, option.code, title))
        elif option.line:
            x1, y1, x2, y2 = option.line
            chart.lines.append(Line(_x(x1), _y(y1), _x(x2), _y(y2), colour, f"{title} ({item.needles} needles)"))
            if option.bilateral:
                chart.lines.append(Line(_x(100 - x1), _y(y1), _x(100 - x2), _y(y2), colour, f"{title} ({item.needles} needles)"))
        elif option.kind == "point":
            chart.off_chart.append(option.code)
            continue
        else:
            continue  # adjuncts cover the face; they are listed with the plan, not drawn
        used.add(colour)
    chart.legend = [(colours[code], name) for code, name in concern_names.items() if colours[code] in used]
    if SUPPORT_COLOUR in used:
        chart.legend.append((SUPPORT_COLOUR, "General support"))
    return chart
