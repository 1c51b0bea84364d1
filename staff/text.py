"""What text staff may type, for every app's rules: names on one line without control characters
(a CR/LF in a name ends up in e-mail headers and CSV exports), free text of a bounded length."""

import re

# Notes, goals, addresses, allergies: far more than anyone types, far less than the 2 MB a form
# would otherwise accept and every page showing the record would then carry.
FREE_TEXT_MAX = 2000
# C0 and C1 control characters, line and paragraph separators, and the bidirectional overrides
# that can make a name read differently from what is stored.
_BEYOND_C0 = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_NOT_IN_A_LINE = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
# Free text keeps tab (\x09), line feed (\x0a) and carriage return (\x0d).
_NOT_IN_TEXT = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_BEYOND_C0}]")

LINE_MESSAGE = "Use one line of ordinary characters: no line breaks, tabs or control characters."


def single_line_problem(value: str) -> str | None:
    """Why ``value`` cannot be a name (or other one-line text), or None."""
    return LINE_MESSAGE if _NOT_IN_A_LINE.search(value or "") else None


def free_text_problem(value: str, *, max_length: int = FREE_TEXT_MAX) -> str | None:
    """Why ``value`` cannot be stored as free text (too long, control characters), or None.
    Line breaks and tabs are allowed."""
    value = value or ""
    if len(value) > max_length:
        return f"Keep this to {max_length} characters (it has {len(value)})."
    if _NOT_IN_TEXT.search(value):
        return "Remove the control characters (only letters, digits, punctuation, line breaks and tabs)."
    return None
