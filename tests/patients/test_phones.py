import pytest
from django.core.exceptions import ValidationError

from patients.phones import normalise_phone, to_e164


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("+44 (0)20 7946-0958", "+442079460958"),
        ("020 7946 0958", "+442079460958"),
        ("07700900777", "+447700900777"),
        ("+44 7700 900777", "+447700900777"),
        ("+1 (202) 555-0143", "+12025550143"),
        ("", ""),
    ],
)
def test_phone_numbers_are_stored_in_e164(raw, stored):
    assert normalise_phone(raw) == stored


@pytest.mark.parametrize("raw", ["call me", "12-34", "+44 20 7946 0958 1234 5678", "0207 946 095x", "900-123"])
def test_what_cannot_be_dialled_back_is_refused_with_a_clear_message(raw):
    with pytest.raises(ValidationError) as exc:
        normalise_phone(raw)
    assert "can be dialled" in exc.value.messages[0]


def test_a_number_without_country_code_is_read_in_the_clinics_region(settings):
    settings.PHONE_REGION = "US"
    assert to_e164("(202) 555-0143") == "+12025550143"
    assert to_e164("+44 7700 900777") == "+447700900777"
