"""Every named route × {anonymous, front desk, acupuncturist, clinic admin} × {GET, POST} against
the README's table (README, "Roles": *Who reaches which page*; parsed by ``tests.routes``): no
route without a row, no row without a route, and each cell what the app answers. Path parameters
are real objects (the fuzz test's ``routes`` fixture); a patient link carries a valid token.

A route that takes an id answers 404 for a missing one to every role it lets in (permission is
checked first, so a role without it learns nothing about which ids exist: 403).
"""

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import resolve, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests import factories
from tests.routes import ADMIN_INDEX, METHODS, ROLES, TABLE_HEADING, named_routes, readme_route_table
from tests.test_fuzz import clinic, patient, plan, routes, series, traveller  # noqa: F401  (shared fixtures)

pytestmark = pytest.mark.django_db

MISSING_ID = 2**31 - 1
USERS = {
    "front desk": factories.front_desk_user,
    "acupuncturist": factories.acupuncturist_user,
    "clinic admin": factories.clinic_admin_user,
}


@pytest.fixture
def every_route(routes, front_desk) -> dict[str, dict]:  # noqa: F811  (the fuzz test's fixture)
    """The fuzz table's arguments, plus the routes it leaves out: logout, a reset link with a
    valid token, and /admin/ itself."""
    reset = {"uidb64": urlsafe_base64_encode(force_bytes(front_desk.pk)),
             "token": default_token_generator.make_token(front_desk)}
    return {**routes, "logout": {}, "password_reset_confirm": reset, ADMIN_INDEX: {}}


def outcome(response, client: Client) -> str:
    if response.status_code in (403, 404, 405):
        return str(response.status_code)
    if response.status_code >= 500:
        return f"server error {response.status_code}"
    if response.status_code in (301, 302) and response.url.startswith(resolve_url(settings.LOGIN_URL)):
        return "login"
    if response.status_code == 302 and resolve(response.url.split("?")[0]).route == "admin/login/":
        # /admin/ sends everyone without the admin right to its login page, which is the app's
        # throttled login for the anonymous and the friendly 403 for signed-in staff.
        return "login" if client.get(response.url).status_code == 200 else outcome(client.get(response.url), client)
    return "ok"


def answer(client: Client, method: str, url: str) -> str:
    return outcome(client.get(url) if method == "GET" else client.post(url), client)


def clients(db) -> dict[str, Client]:
    made = {"anonymous": Client()}
    for role, make in USERS.items():
        made[role] = Client()
        made[role].force_login(make(username=role.replace(" ", "_") + "_walker"))
    return made


def test_the_readme_lists_every_route_once_and_only_routes():
    rows = readme_route_table()
    routes_now = {*named_routes(), ADMIN_INDEX}
    missing = sorted(routes_now - set(rows))
    stale = sorted(set(rows) - routes_now)
    assert not missing, (f"Add a row to README.md's {TABLE_HEADING!r} table for each of: {', '.join(missing)} "
                         f"(| `name` | path | anonymous | front desk | acupuncturist | clinic admin |, "
                         "each cell 'GET / POST')")
    assert not stale, f"README.md's {TABLE_HEADING!r} table lists routes that do not exist: " + ", ".join(
        f"{name} (line {rows[name].line})" for name in stale)


def test_every_route_answers_each_role_as_the_readme_says(every_route, db):
    rows = readme_route_table()
    walkers = clients(db)
    unknown = sorted(set(rows) - set(every_route) - {ADMIN_INDEX})
    assert not unknown, f"Give the arguments of {', '.join(unknown)} in tests/test_fuzz.py's routes fixture"
    new_rows = [row_as_answered(name, kwargs, walkers) for name, kwargs in every_route.items() if name not in rows]
    assert not new_rows, ("Routes without a row in README.md's table. As the app answers today (check each cell "
                          "before adding it):\n" + "\n".join(new_rows))
    wrong, checked = [], 0
    for name, kwargs in every_route.items():
        url = reverse(name, kwargs=kwargs)
        for role in ROLES:
            for method in METHODS:
                got, want = answer(walkers[role], method, url), rows[name].expected[role, method]
                checked += 1
                if got != want:
                    wrong.append(f"README.md line {rows[name].line}: {name} ({url}) {role} {method}: "
                                 f"the table says {want}, the app answers {got}")
                if name == "logout" and method == "POST" and role != "anonymous":
                    walkers[role].force_login(_user_of(role))  # signed in again for the next routes
    print(f"\nroute access: {len(every_route)} routes × {len(ROLES)} roles × {len(METHODS)} methods = {checked} requests")
    assert not wrong, f"{len(wrong)} cells differ:\n" + "\n".join(wrong)


def row_as_answered(name: str, kwargs: dict, walkers: dict[str, Client]) -> str:
    """A README row as the app answers today, for a route that has none yet."""
    url = reverse(name, kwargs=kwargs)
    cells = [" / ".join(answer(walkers[role], method, url) for method in METHODS) for role in ROLES]
    return f"| `{name}` | `/{resolve(url).route}` | " + " | ".join(cells) + " |"


def _user_of(role: str):
    return User.objects.get(username=role.replace(" ", "_") + "_walker")


ID_PARAMETER = re.compile(r"pk$")


def test_a_missing_id_is_404_for_every_role_let_in(every_route, db):
    rows = readme_route_table()
    walkers = clients(db)
    wrong, checked = [], 0
    for name, kwargs in every_route.items():
        ids = [key for key in kwargs if ID_PARAMETER.search(key)]
        if not ids or name not in rows:
            continue
        url = reverse(name, kwargs={**kwargs, **dict.fromkeys(ids, MISSING_ID)})
        for role in ROLES[1:]:
            for method in METHODS:
                if rows[name].expected[role, method] != "ok":
                    continue
                got = answer(walkers[role], method, url)
                checked += 1
                if got != "404":
                    wrong.append(f"{name} ({url}) {role} {method}: {got}, expected 404")
    print(f"\nmissing ids: {checked} requests")
    assert checked and not wrong, "\n".join(wrong)


def test_a_malformed_row_is_named_by_its_line():
    table = f"{TABLE_HEADING}\n\n| route | path | a | b | c | d |\n| --- | --- | --- | --- | --- | --- |\n"
    assert readme_route_table(table + "| `home` | `/` | login / login | ok / ok | ok / ok | ok / ok |\n")["home"].expected[
        "front desk", "POST"] == "ok"
    with pytest.raises(ValueError, match=r"line 5 \(home\), acupuncturist: 'yes / ok'"):
        readme_route_table(table + "| `home` | `/` | login / login | ok / ok | yes / ok | ok / ok |\n")
    with pytest.raises(ValueError, match="line 5 \\(home\\): 5 cells"):
        readme_route_table(table + "| `home` | `/` | login / login | ok / ok | ok / ok |\n")
