"""The face chart: where a plan's face points and line patterns go on a face outline (SVG).

Catalogue positions are 0–100 across the image (left → right) and from hairline to chin; the
chart is a 200 × 250 viewBox. The outline's shapes (face, neck, eyes, nose, mouth) are defined
here, drawn by the template from these values, and used by the tests that check every catalogue
point lands where anatomy puts it (inside the face, never inside an eye or the mouth).
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
class Ellipse:
    cx: float
    cy: float
    rx: float
    ry: float

    def contains(self, x: float, y: float, *, margin: float = 0) -> bool:
        """Inside, or within ``margin`` of the edge (a mark's radius, so it does not overlap)."""
        return ((x - self.cx) / (self.rx + margin)) ** 2 + ((y - self.cy) / (self.ry + margin)) ** 2 <= 1


@dataclass(frozen=True)
class Polygon:
    corners: tuple[tuple[float, float], ...]

    def contains(self, x: float, y: float) -> bool:
        # Ray casting: an odd number of edge crossings to the right means inside.
        inside = False
        for (x1, y1), (x2, y2) in zip(self.corners, self.corners[1:] + self.corners[:1], strict=True):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
        return inside

    @property
    def path(self) -> str:
        return "M" + " L".join(f"{x} {y}" for x, y in self.corners) + " Z"


@dataclass(frozen=True)
class Outline:
    face: Ellipse = Ellipse(100, 103, 74, 95)
    neck: Polygon = Polygon(((72, 190), (128, 190), (132, 246), (68, 246)))
    eyes: tuple[Ellipse, ...] = (Ellipse(77.6, 100, 12, 5), Ellipse(122.4, 100, 12, 5))
    nose: Polygon = Polygon(((100, 92), (93, 133), (107, 133)))
    mouth: Ellipse = Ellipse(100, 164, 18, 5)

    def on_skin(self, x: float, y: float) -> bool:
        """Inside the face or on the neck."""
        return self.face.contains(x, y) or (y >= self.neck.corners[0][1] and self.neck.contains(x, y))

    @property
    def neck_sides(self) -> str:
        (x1, y1), (x2, y2), (x3, y3), (x4, y4) = self.neck.corners
        return f"M{x1} {y1} L{x4} {y4} M{x2} {y2} L{x3} {y3}"

    @property
    def lips(self) -> str:
        """The upper and lower lip as SVG path data, drawn across the mouth's ellipse."""
        m = self.mouth
        left, width = m.cx - m.rx, 2 * m.rx
        return f"M{left} {m.cy} q{m.rx} {-1.6 * m.ry} {width} 0 M{left} {m.cy} q{m.rx} {2 * m.ry} {width} 0"


OUTLINE = Outline()


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
    outline: Outline = OUTLINE


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
