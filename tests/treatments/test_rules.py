"""The safety rules as plain functions: no database, the clinic defaults unless said otherwise."""

import datetime as dt

from patients.models import Screening
from treatments.row_checks import item_row_problems, plan_row_problems, session_row_problems
from treatments.rules import (
    Chosen,
    Limits,
    Option,
    Rules,
    exclusion_reason,
    light_session,
    limits_for,
    plan_problems,
    screening_facts,
    session_problems,
)

TODAY = dt.date(2026, 11, 24)
RULES = Rules()
LI4 = Option(kind="point", code="LI4", name="Hegu", region="hand", needles_min=2, needles_max=2, bilateral=True)
GB14 = Option(
    kind="point", code="GB14", name="Yangbai", region="forehead", face_areas=("forehead",), on_face=True,
    needles_min=2, needles_max=2,
)
LINES = Option(
    kind="pattern", code="forehead-lines", name="Forehead lines", region="forehead", face_areas=("forehead",), on_face=True,
    needles_min=2, needles_max=10,
)
CUPPING = Option(
    kind="adjunct", code="cupping", name="Facial cupping", region="face", on_face=True, avoid_with_bleeding_risk=True
)


def facts(**answers):
    return screening_facts(Screening(**answers), today=TODAY, rules=RULES)


def test_hard_pregnancy_rules_hold_whatever_the_catalogue_flags_say():
    # LI4 with its "avoid in pregnancy" flag unticked, and a new abdominal point without flags.
    cv3 = Option(kind="point", code="CV3", name="Zhongji", region="lower abdomen", needles_min=1, needles_max=1)
    new_abdominal = Option(kind="point", code="X1", name="New", region="Abdomen (side)", needles_min=1, needles_max=1)
    pregnant = facts(pregnant_or_trying=True)
    for option in (LI4, cv3, new_abdominal):
        assert "never needled in pregnancy" in exclusion_reason(option, pregnant)
        assert exclusion_reason(option, facts()) is None


def test_catalogue_flags_add_cautions_to_the_hard_rules():
    flagged = Option(kind="point", code="SP10", name="Xuehai", region="thigh", avoid_in_pregnancy=True)
    assert "avoided in pregnancy" in exclusion_reason(flagged, facts(pregnant_or_trying=True))


def test_treated_areas_are_excluded_only_within_the_wait():
    botox = {"botox_on": TODAY - dt.timedelta(days=13), "botox_areas": ["forehead"]}
    assert "Botox within the wait period (forehead)" in exclusion_reason(GB14, facts(**botox))
    assert exclusion_reason(LI4, facts(**botox)) is None
    older = {**botox, "botox_on": TODAY - dt.timedelta(days=14)}
    assert exclusion_reason(GB14, facts(**older)) is None


def test_bleeding_risk_or_a_light_session_lowers_the_cap():
    assert limits_for(facts(bleeding_risk=True), RULES) == Limits(40, 46, 20, 30)
    assert limits_for(facts(fainting_history=True), RULES) == Limits(40, 70, 20, 30)
    assert limits_for(facts(fainting_history=True), RULES, light=True) == Limits(40, 46, 20, 30)
    assert limits_for(facts(), RULES) == Limits(40, 70, 20, 30)


def test_a_fainting_prone_patient_gets_the_light_cap_first_and_after_a_fainting_in_the_series():
    fainting = facts(fainting_history=True)
    assert light_session(facts=fainting, earlier_sessions=0, fainted_in_series=False)
    assert not light_session(facts=fainting, earlier_sessions=1, fainted_in_series=False)
    assert light_session(facts=fainting, earlier_sessions=3, fainted_in_series=True)
    assert not light_session(facts=facts(), earlier_sessions=0, fainted_in_series=True)
    assert "suction bruises" in exclusion_reason(CUPPING, facts(bleeding_risk=True))


def test_plan_problems_names_each_broken_rule():
    items = [Chosen(LI4, 2), Chosen(LINES, 12)]
    problems = plan_problems(
        items=items, retention=45, facts=facts(pregnant_or_trying=True, bleeding_risk=True), rules=RULES, acknowledged=False
    )
    text = " ".join(problems)
    assert "LI4 Hegu cannot be used: never needled in pregnancy" in text
    assert "2–10 needles, not 12" in text
    assert "The plan has 14 needles, fewer than the usual 40" in text
    assert "Retention must be 20–30 minutes, not 45" in text
    assert "Acknowledge the risks" in text


def test_a_session_may_stop_early_but_never_exceed_the_maxima():
    assert session_problems(items=[Chosen(LI4, 2)], retention=5, facts=facts(), rules=RULES) == []
    problems = session_problems(items=[Chosen(LINES, 10)] * 1, retention=31, facts=facts(), rules=RULES)
    assert problems == ["Retention must be 1–30 minutes, not 31."]


def test_row_checks_hold_stored_limits_and_the_parent_total():
    bleeding = facts(bleeding_risk=True)
    wide = Limits(40, 70, 20, 30)
    assert "40–46 needles" in plan_row_problems(stored=wide, acknowledged=[], facts=bleeding, rules=RULES)[0]
    assert "Acknowledge" in plan_row_problems(stored=Limits(40, 46, 20, 30), acknowledged=[], facts=bleeding, rules=RULES)[0]
    row = dict(needles_max=46, retention_max=30, facts=bleeding, rules=RULES, light=False)
    assert session_row_problems(**row, risks=[], acknowledged=[]) == []
    risk = bleeding.acknowledgements[0]
    assert session_row_problems(**row, risks=[risk], acknowledged=[]) == [
        f"Acknowledge this risk, new since the plan was saved: {risk}"
    ]
    over = item_row_problems(option=GB14, needles=2, facts=facts(), needles_before=39, parent_total=40, whose="plan's")
    assert over == ["The items would come to more than the plan's 40 needles."]
