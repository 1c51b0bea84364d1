"""Phone numbers: one way to read them, stored in E.164 ("+447700900123").

Numbers are read with Google's libphonenumber rules (the ``phonenumbers`` package); a number
typed without a country code is read in the clinic's region (``settings.PHONE_REGION``). Intake,
the data migration that normalised older records and the search box all go through here, so a
number typed any way is stored and found the same way.
"""

import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError

INVALID_MESSAGE = (
    "Enter a phone number that can be dialled, like 07700 900123 or +44 7700 900123 "
    "(a number from another country starts with + and its country code)."
)

# The library would read letters as a vanity number ("0800 FLOWERS") or drop them; a clinic's
# patients type digits, so letters are a typo to point out.
_PHONE_CHARS = re.compile(r"^\+?[\d\s().-]+$")


def to_e164(value: str, *, region: str | None = None) -> str | None:
    """The number in E.164, or None when ``value`` cannot be read as a possible phone number.

    "Possible" (a length that can be dialled from anywhere in its country) rather than "valid"
    (in an allocated range): the clinic would rather store a new mobile range the library does not
    know yet, or Ofcom's 07700 900xxx range for fiction used in the demo data, than refuse it.
    A number that only works without its area code is refused: it cannot be dialled back."""
    if not _PHONE_CHARS.match(value.strip()):
        return None
    try:
        number = phonenumbers.parse(value, region or settings.PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_phone(value: str) -> str:
    """'+44 (0)20 7946-0958' → '+442079460958'; '' stays ''; refuses what is not a phone number."""
    value = (value or "").strip()
    if not value:
        return ""
    e164 = to_e164(value)
    if e164 is None:
        raise ValidationError(INVALID_MESSAGE, code="invalid_phone")
    return e164
