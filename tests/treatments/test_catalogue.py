"""The catalogue as loaded (migrations 0002 and 0008): WHO 2008 codes, the finer face areas each
point and line pattern lies in, and which points are near the eye."""

import datetime as dt

import pytest
from django.utils import timezone

from patients.models import FaceArea, Screening
from treatments import rules
from treatments.catalogue import load_options
from treatments.models import Point

pytestmark = pytest.mark.django_db


def excluded_by(**answers) -> set[str]:
    """The codes a screening with these answers (today) rules out."""
    facts = rules.screening_facts(Screening(**answers), today=timezone.localdate(), rules=rules.Rules())
    return {option.code for option in load_options() if rules.exclusion_reason(option, facts)}


def test_filler_in_the_nasolabial_folds_excludes_the_fold_pattern_li20_and_st3_only():
    today = timezone.localdate()
    excluded = excluded_by(filler_on=today - dt.timedelta(days=3), filler_areas=["nasolabial"])
    assert {"nasolabial-folds", "LI20", "ST3"} <= excluded
    assert not {"SI18", "ST4", "GV26", "marionette-lines", "GB14"} & excluded  # cheek and mouth stay


def test_frown_line_botox_excludes_bl2_yintang_and_the_frown_lines_but_not_the_forehead():
    excluded = excluded_by(botox_on=timezone.localdate(), botox_areas=["glabella"])
    assert {"BL2", "GV29", "glabellar-lines"} <= excluded
    assert not {"GB14", "GV24", "forehead-lines", "TE23"} & excluded


def test_every_face_point_and_pattern_lies_in_known_areas_and_body_points_in_none():
    for option in load_options():
        if option.kind == "adjunct":
            continue
        assert set(option.face_areas) <= set(FaceArea.values)
        assert bool(option.face_areas) == (option.kind == "pattern" or option.position is not None), option.code


def test_codes_follow_who_2008_and_show_the_former_code():
    yintang = Point.objects.get(code="GV29")
    assert yintang.former_code == "EX-HN3" and str(yintang) == "GV29 Yintang (EX-HN3)"
    assert not Point.objects.filter(code="EX-HN3").exists()
    assert Point.objects.get(code="BL2").pinyin == "Cuanzhu"
    assert {o.code: o.label for o in load_options()}["GV29"] == "GV29 Yintang (EX-HN3)"


def test_points_near_the_eye_are_marked():
    assert set(Point.objects.filter(near_eye=True).values_list("code", flat=True)) == {"ST1", "ST2", "GB1", "BL2", "EX-HN4"}
