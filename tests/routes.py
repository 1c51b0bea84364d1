"""The app's named routes, and the README's table of who reaches each (README, "Roles": *Who
reaches which page*). The table is the one list of routes: tests/test_route_access.py checks every
cell against the running app, and tests/test_fuzz.py fills each listed route with hostile input.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

README = Path(__file__).resolve().parents[1] / "README.md"
TABLE_HEADING = "### Who reaches which page"
ROLES = ("anonymous", "front desk", "acupuncturist", "clinic admin")
METHODS = ("GET", "POST")
# The outcomes a cell may name: allowed; sent to log in; refused for the role; method not allowed.
OUTCOMES = {"ok", "login", "403", "405"}
# The Django admin's own pages are Django's; /admin/ itself is covered once, as this route.
ADMIN_INDEX = "admin:index"
_CELL = re.compile(r"^\s*(\w+)\s*/\s*(\w+)\s*$")


def named_routes(resolver=None, namespace=""):
    """Every named URL pattern (``namespace:name``) outside the Django admin."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            yield from named_routes(entry, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


@dataclass(frozen=True)
class Row:
    route: str
    line: int
    # (role, method) → outcome
    expected: dict


def readme_route_table(text: str | None = None) -> dict[str, Row]:
    """The rows of the README's table, by route name. Raises ``ValueError`` naming the line of a
    malformed row (an unknown outcome, a missing cell, a route listed twice)."""
    text = README.read_text() if text is None else text
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == TABLE_HEADING)
    except StopIteration:
        raise ValueError(f"README.md has no {TABLE_HEADING!r} section") from None
    rows: dict[str, Row] = {}
    in_table = False
    for number, line in enumerate(lines[start + 1:], start=start + 2):
        if not line.startswith("|"):
            if in_table:
                break
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not in_table:  # the header
            in_table = True
            continue
        if set(cells[0]) <= {"-", " ", ":"}:
            continue
        route = cells[0].strip("`")
        if len(cells) != 2 + len(ROLES):
            raise ValueError(f"README.md line {number} ({route}): {len(cells)} cells, expected route, path and "
                             f"one 'GET / POST' cell per role: {', '.join(ROLES)}")
        if route in rows:
            raise ValueError(f"README.md line {number}: {route} is listed twice (also line {rows[route].line})")
        expected = {}
        for role, cell in zip(ROLES, cells[2:], strict=True):
            match = _CELL.match(cell)
            if not match or not {match[1], match[2]} <= OUTCOMES:
                raise ValueError(f"README.md line {number} ({route}), {role}: {cell!r} is not 'GET / POST' "
                                 f"with each one of {sorted(OUTCOMES)}")
            expected[role, "GET"], expected[role, "POST"] = match[1], match[2]
        rows[route] = Row(route=route, line=number, expected=expected)
    return rows
