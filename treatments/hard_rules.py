"""Safety rules that are code, not configuration: no catalogue edit or clinic setting can weaken them.

The clinic admin may add cautions (stricter), never remove these. The same facts are held by the
database (check constraints on the settings, triggers on plans and session records), so the ORM,
the admin and raw SQL all meet them. Plain data and functions only: no ORM, no Django imports.
"""

from __future__ import annotations

# Points never needled in pregnancy (or when trying to conceive), whatever the catalogue's flags say:
# the classic forbidden distal points and every abdominal point of the Conception Vessel.
PREGNANCY_FORBIDDEN_CODES: frozenset[str] = frozenset(
    {"LI4", "SP6", "BL60", "BL67", "GB21"} | {f"CV{n}" for n in range(2, 15)}
)
# Any point whose region mentions one of these words is abdominal, hence forbidden in pregnancy.
PREGNANCY_FORBIDDEN_REGION_WORDS: tuple[str, ...] = ("abdomen", "abdominal")

PREGNANCY_REASON = "never needled in pregnancy (pregnant or trying to conceive)"


def forbidden_in_pregnancy(*, code: str, region: str) -> bool:
    """True when a point may never be in a pregnant patient's plan, by its code or its region."""
    normalised = code.strip().upper()
    if normalised in PREGNANCY_FORBIDDEN_CODES:
        return True
    region_lower = region.lower()
    return any(word in region_lower for word in PREGNANCY_FORBIDDEN_REGION_WORDS)


# Bounds for the clinic's plan settings (SPEC §3: clinics differ, but only within these).
NEEDLES_FLOOR, NEEDLES_CEILING = 10, 80
RETENTION_FLOOR, RETENTION_CEILING = 10, 45  # minutes
BOTOX_WAIT_FLOOR_DAYS = 14
FILLER_WAIT_FLOOR_DAYS = 14
LASER_PEEL_WAIT_FLOOR_DAYS = 30
SURGERY_WAIT_FLOOR_DAYS = 30


# Adjuncts that pass current through the skin are never used with a pacemaker or implanted
# device: those marked "electrical" in the catalogue, and any whose name says so, marked or not.
# Matched in the lower-cased text followed by a space, so "tens " finds "TENS" as a word at the end too.
ELECTRICAL_NAME_WORDS: tuple[str, ...] = ("microcurrent", "micro-current", "electr", "galvanic", "tens ")


def electrical_by_name(*texts: str) -> bool:
    """True when a name (or description) says the adjunct is electrical."""
    lowered = " ".join(texts).lower() + " "
    return any(word in lowered for word in ELECTRICAL_NAME_WORDS)
