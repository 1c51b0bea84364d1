"""Every face point of the catalogue lands where anatomy puts it on the drawn face outline."""

import pytest

from treatments import rules
from treatments.catalogue import load_options
from treatments.chart import OUTLINE, face_chart

pytestmark = pytest.mark.django_db

MARK_RADIUS = 3.6  # as drawn by templates/treatments/_face_chart.html


@pytest.fixture
def marks():
    """Chart position of every face point (both sides of bilateral ones), by code."""
    points = [o for o in load_options() if o.kind == "point" and o.position]
    chart = face_chart(items=[rules.Chosen(o, o.needles_max) for o in points], concern_names={})
    found: dict[str, list] = {}
    for mark in chart.marks:
        found.setdefault(mark.label, []).append((mark.x, mark.y))
    assert len(found) == len(points) >= 20
    return found


@pytest.fixture
def pos():
    """Catalogue position (image-left side) by code."""
    return {o.code: o.position for o in load_options() if o.kind == "point" and o.position}


def test_every_face_point_is_on_the_skin_and_never_in_an_eye_the_nose_or_the_mouth(marks):
    for code, spots in marks.items():
        for x, y in spots:
            assert OUTLINE.on_skin(x, y), f"{code} at {x},{y} is off the face"
            assert not any(eye.contains(x, y, margin=MARK_RADIUS) for eye in OUTLINE.eyes), f"{code} is on an eye"
            assert not OUTLINE.mouth.contains(x, y, margin=MARK_RADIUS), f"{code} is on the mouth"
            assert not OUTLINE.nose.contains(x, y), f"{code} is on the nose"


def test_line_patterns_are_on_the_skin():
    patterns = [o for o in load_options() if o.kind == "pattern"]
    chart = face_chart(items=[rules.Chosen(o, o.needles_min) for o in patterns], concern_names={})
    for line in chart.lines:
        assert OUTLINE.on_skin(line.x1, line.y1) and OUTLINE.on_skin(line.x2, line.y2), line.title


def test_eye_points_sit_around_the_eye(marks):
    eye = OUTLINE.eyes[0]  # the image's left eye; bilateral points are mirrored
    (st1_x, st1_y), (gb1_x, gb1_y) = marks["ST1"][0], marks["GB1"][0]
    assert abs(st1_x - eye.cx) <= 2 and eye.cy + eye.ry < st1_y <= eye.cy + eye.ry + 10  # infraorbital ridge, below the pupil
    assert gb1_x < eye.cx - eye.rx and abs(gb1_y - eye.cy) <= 3  # lateral to the outer canthus
    for code in ("BL2", "EX-HN4", "TE23"):  # the brow, above the eye
        assert marks[code][0][1] < eye.cy - eye.ry


def test_points_keep_their_order_along_the_face(pos):
    x, y = (lambda c: pos[c][0]), (lambda c: pos[c][1])
    assert y("GV24") < y("GB14") < y("EX-HN4")  # hairline, forehead, brow
    assert x("TE23") < x("EX-HN4") < x("BL2") < x("GV29") == 50  # brow, outer to inner, then between the brows
    assert y("ST1") < y("ST2") < y("ST3")  # the stomach channel runs down below the pupil
    assert x("ST1") == x("ST2") == x("ST3")
    assert x("SI18") < x("ST3") < x("LI20")  # cheekbone, below the pupil, beside the nostril
    assert x("EX-HN5") < x("GB1") and x("ST7") < x("SI18")  # temple and jaw joint lie lateral
    assert y("GV26") < y("ST4") < y("CV24") < y("CV23")  # philtrum, mouth corner, chin, neck
    assert y("ST7") < y("ST6") and x("ST6") < x("ST5")  # jaw joint above the masseter, ST5 in front of it


def test_li20_is_beside_the_nostril_and_st4_lateral_to_the_mouth_corner(marks):
    nose_bottom = OUTLINE.nose.corners[1][1]
    li20_x, li20_y = marks["LI20"][0]
    assert li20_x < OUTLINE.nose.corners[1][0] and nose_bottom - 8 <= li20_y <= nose_bottom + 2
    st4_x, st4_y = marks["ST4"][0]
    corner = OUTLINE.mouth.cx - OUTLINE.mouth.rx
    assert corner - 10 < st4_x < corner and abs(st4_y - OUTLINE.mouth.cy) <= 2


def test_si18_is_below_the_outer_canthus_under_the_cheekbone(marks):
    eye = OUTLINE.eyes[0]
    x, y = marks["SI18"][0]
    assert abs(x - (eye.cx - eye.rx)) <= 3 and y > marks["ST2"][0][1]
