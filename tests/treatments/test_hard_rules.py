"""The hard rules of treatments/hard_rules.py, directly."""

import pytest

from treatments.hard_rules import electrical_by_name, forbidden_in_pregnancy


@pytest.mark.parametrize(
    ("code", "region", "forbidden"),
    [("LI4", "hand", True), (" cv12 ", "abdomen", True), ("CV3", "lower abdomen", True), ("ST25", "Abdominal wall", True),
     ("CV1", "perineum", False), ("CV15", "chest", False), ("ST36", "leg", False)],
)
def test_forbidden_in_pregnancy_by_code_or_region(code, region, forbidden):
    assert forbidden_in_pregnancy(code=code, region=region) is forbidden


@pytest.mark.parametrize(
    ("texts", "electrical"),
    [(("Facial microcurrent",), True), (("Micro-current lift",), True), (("Electro-acupuncture",), True),
     (("Lift", "galvanic current mask"), True), (("TENS",), True),
     (("tens-unit", "Facial TENS pads"), True), (("Facial cupping",), False), (("Gua sha", "recurrent redness"), False)],
)
def test_electrical_by_name(texts, electrical):
    assert electrical_by_name(*texts) is electrical
