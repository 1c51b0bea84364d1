"""No input makes a server error: every page of the app (each URL pattern, its ids filled in) gets
hostile query parameters on GET and, wherever it takes a POST, the form fields the app's pages
use, filled with hostile values (far dates, huge numbers, control characters, 2 MB strings) from a
fixed seed.

One staff member holding all three roles reaches every page, so every form is exercised. How many
requests were made, and how many answered 5xx, is printed at the end of the run (0 expected).
"""

import io
import random
import re

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from scheduling.clock import to_local
from scheduling.closures import affected_visits_record
from scheduling.intake_tokens import intake_token
from scheduling.models import Closure, IntakeInvitation, PatientRequest, Reminder
from scheduling.reminders.tokens import link_token
from scheduling.waitlist import waitlist_add
from staff.roles import ROLES
from tests.factories import UserFactory
from tests.routes import ADMIN_INDEX, named_routes, readme_route_table
from tests.scheduling.factories import at
from tests.treatments import conftest as treatments_fixtures
from tests.treatments.factories import record_session
from treatments.photos import photo_upload

# The treatments tests' clinic, patient (through intake), plan and weekly series.
clinic, patient, plan, series, traveller = (
    treatments_fixtures.clinic, treatments_fixtures.patient, treatments_fixtures.plan,
    treatments_fixtures.series, treatments_fixtures.traveller,
)

pytestmark = pytest.mark.django_db

SEED = 20261124
HUGE = "x" * (2 * 1024 * 1024)
HOSTILE = [
    "9999-12-31", "0001-01-01", "9999-12-31T23:59", "0001-01-01T00:00", "9999-12-31T23:59:59+14:00", "10000-01-01",
    "2026-02-30", "24:00", "23:59:60", "99999999999999999999999", "-99999999999999999999", "1e309", "NaN", "-1",
    "a\r\nBcc: x@example.com", "\x00", "\x1b[2J\x07", "\u202e\u2028", "<script>alert(1)</script>", "' OR 1=1 --", HUGE,
]
DATES_AND_TIMES = HOSTILE[:9]
DATE_OR_TIME = re.compile(r"^\d{4}-\d\d-\d\d$|^\d\d:\d\d$")
QUERY_KEYS = ("page", "q", "view", "practitioner", "room", "patient", "who", "show", "appointment_type")
POSTS_PER_FORM = 12
# Left out: the admin and the reset-confirm page (Django's own, the latter needs a mailed token),
# and logout (it would end the session mid-run).
SKIPPED = {"logout", "password_reset_confirm"}
FIELD_NAME = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"')

totals = {"requests": 0, "server_errors": 0}


def jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "peachpuff").save(buffer, "JPEG")
    return SimpleUploadedFile("face.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def routes(patient, series, plan, acupuncturist, traveller, settings, tmp_path) -> dict[str, dict]:
    """The arguments of each route: one of each thing a URL can name."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"
    traveller.move_to(at("2026-03-02", "10:30"))
    record = record_session(series.visits.get(sequence=1), by=acupuncturist)
    photo = photo_upload(by=acupuncturist, record=record, view="front", upload=jpeg())
    booked = series.visits.get(sequence=2)
    reminder = Reminder.objects.create(
        kind="visit_upcoming", patient=patient, visit=booked, due_at=timezone.now(), expires_at=booked.starts_at,
        next_attempt_at=timezone.now(), state=Reminder.State.FAILED,
    )
    request = PatientRequest.objects.create(kind="new_time", patient=patient, visit=booked)
    health_check = Reminder.objects.create(
        kind="health_check", patient=patient, visit=booked, due_at=timezone.now(), expires_at=booked.starts_at,
        next_attempt_at=timezone.now(), state=Reminder.State.SENT, sent_at=timezone.now(),
    )
    day = to_local(series.visits.get(sequence=3).starts_at).date()
    affected = affected_visits_record(closure=Closure.objects.create(first_day=day, last_day=day, reason="Flood"))[0]
    entry = waitlist_add(patient=patient, practitioner=series.practitioner, appointment_type=booked.appointment_type,
                         earliest_day=day, latest_day=day, by=None)
    by_patient = {"patient_pk": patient.pk}
    return {
        "home": {}, "login": {}, "password_change": {}, "password_change_done": {}, "password_reset": {},
        "password_reset_done": {}, "password_reset_complete": {}, "two_factor": {}, "two_factor_verify": {},
        "patients:list": {}, "patients:search": {}, "patients:intake": {}, **{
            f"patients:{name}": {"pk": patient.pk}
            for name in ("detail", "edit", "screening_new", "concerns", "consent", "export", "anonymise")
        },
        "scheduling:calendar": {}, "scheduling:series_new": {}, "scheduling:visit_new": {}, **{
            f"scheduling:{name}": {"pk": booked.pk}
            for name in ("visit", "visit_move", "visit_cancel")
        },
        "scheduling:visit_status": {"pk": booked.pk, "status": "arrived"},
        "scheduling:decisions": {}, "scheduling:decision_make": {"pk": affected.pk},
        "scheduling:patient": {"pk": patient.pk}, "scheduling:maintenance_interval": {"pk": patient.pk},
        "scheduling:maintenance": {}, "scheduling:reminders": {}, "scheduling:reminder_send_again": {"pk": reminder.pk},
        "scheduling:requests": {}, "scheduling:request_handled": {"pk": request.pk},
        "scheduling:waitlist": {}, "scheduling:waitlist_close": {"pk": entry.pk},
        "scheduling:waitlist_book": {"pk": entry.pk},
        "links:page": {"token": link_token(reminder=reminder, action="confirm")},
        "links:health_check": {"token": link_token(reminder=health_check, action="health_check")},
        "scheduling:intake_invite": {},
        "links:intake": {"token": intake_token(IntakeInvitation.objects.create(
            first_name="Ada", last_name="Lovelace", email="ada@example.com", created_at=timezone.now()))},
        "treatments:patient_plan": by_patient, "treatments:plan_new": by_patient,
        "treatments:plan_detail": {"pk": plan.pk}, "treatments:template_new": {"pk": plan.pk},
        "treatments:template_list": {}, "treatments:today": {},
        "treatments:session_new": {"visit_pk": booked.pk}, "treatments:session_screening": {"visit_pk": booked.pk},
        "treatments:session_detail": {"pk": record.pk}, "treatments:photo_new": {"pk": record.pk},
        "treatments:addendum_new": {"pk": record.pk},
        "treatments:photo_file": {"pk": photo.pk}, "treatments:patient_sessions": by_patient,
        "treatments:photo_compare": by_patient, "treatments:series_outcomes": {"pk": series.pk},
    }


@pytest.fixture
def ids(patient, series) -> dict[str, str]:
    visit = series.visits.first()
    return {
        "patient": str(patient.pk), "practitioner": str(series.practitioner_id),
        "appointment_type": str(visit.appointment_type_id),
    }


@pytest.fixture
def everyone(db) -> Client:
    """A client signed in as a staff member with every role."""
    user = UserFactory(is_staff=True)
    user.groups.set(Group.objects.filter(name__in=ROLES))
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def request(client: Client, method: str, url: str, data: dict, errors: list[str]) -> str:
    response = client.get(url, data) if method == "GET" else client.post(url, data)
    totals["requests"] += 1
    if response.status_code >= 500:
        totals["server_errors"] += 1
        shown = {key: (value[:40] + "…") if isinstance(value, str) and len(value) > 40 else value for key, value in data.items()}
        errors.append(f"{response.status_code} {method} {url} {shown!r}")
    streamed = getattr(response, "streaming", False)
    return "" if streamed else response.content.decode(errors="replace")


def hostile_queries(rng: random.Random, value: str) -> list[dict]:
    """``date`` and ``start`` (read by different pages), ``date`` in the week view, and one other
    parameter alone (a hostile value beside it would make the page's form refuse them all)."""
    return [{"date": value, "start": value}, {"date": value, "view": "week"}, {rng.choice(QUERY_KEYS): value}]


def valid_forms(ids: dict) -> dict[str, dict]:
    """A valid submission of the main forms: hostile values replace one field at a time, so the
    rest of the form passes and the value reaches the code behind it."""
    patient, practitioner, kind = ids["patient"], ids["practitioner"], ids["appointment_type"]
    when = {"day": "2026-04-07", "time": "10:00"}
    return {
        "scheduling:series_new": {
            "action": "propose", "patient": patient, "practitioner": practitioner, "appointment_type": kind,
            "sessions": "6", "cadence_days": "7", "first_day": "2026-04-06", "preferred_time": "10:00",
        },
        "scheduling:visit_new": {"patient": patient, "practitioner": practitioner, "appointment_type": kind, **when},
        "scheduling:visit_move": {f"move-{key}": value for key, value in {**when, "scope": "this"}.items()},
        "scheduling:visit_cancel": {"cancel-reason": "Unwell"},
        "scheduling:waitlist": {"patient": patient, "practitioner": practitioner, "appointment_type": kind,
                                "earliest_day": "2026-04-06", "latest_day": "2026-04-30", "weekdays": "1",
                                "from_time": "09:00", "until_time": "12:00", "note": "mornings"},
        "scheduling:maintenance_interval": {"maint-interval_weeks": "5"},
        "patients:edit": {
            "p-first_name": "Ada", "p-last_name": "Lovelace", "p-date_of_birth": "1985-12-10", "p-email": "ada@example.com",
            "p-phone": "020 7946 0958", "p-preferred_contact": "email", "p-address": "1 Elm Row", "p-goals": "Rested",
        },
        "patients:screening_new": {"s-allergies": "nickel", "s-medications": "", "s-notes": "", "s-botox_on": "2026-01-05",
                                   "s-botox_areas": "forehead"},
        "patients:consent": {"kind": "photos", "given": "1"},
    }


def hostile_form(rng: random.Random, fields: list[str]) -> dict:
    """Each field a hostile value or left out, at most one 2 MB value per request."""
    data, huge_used = {}, False
    for field in fields:
        if rng.random() < 0.2:
            continue
        value = rng.choice(HOSTILE)
        if value is HUGE and huge_used:
            value = rng.choice(HOSTILE[:-1])
        huge_used |= value is HUGE
        data[field] = value
    return data


def test_every_route_is_in_the_fuzz_table(routes):
    assert set(named_routes()) - SKIPPED == set(routes)
    # The README's routes × roles table lists the same routes (tests/test_route_access.py checks its cells).
    assert set(readme_route_table()) - {ADMIN_INDEX} - SKIPPED == set(routes)


def test_no_hostile_input_makes_a_server_error(everyone, routes, ids):
    rng = random.Random(SEED)
    errors: list[str] = []
    fields_of: dict[str, list[str]] = {}
    for name, kwargs in routes.items():
        url = reverse(name, kwargs=kwargs)
        page = request(everyone, "GET", url, {}, errors)
        fields_of[name] = sorted(set(FIELD_NAME.findall(page)) - {"csrfmiddlewaretoken"})
        for value in HOSTILE:
            for query in hostile_queries(rng, value):
                request(everyone, "GET", url, query, errors)
    # Forms posted elsewhere than the page that shows them (visit actions, consent, photos) get
    # every field name the app's pages use.
    every_field = sorted(set().union(*fields_of.values()))
    for name, kwargs in routes.items():
        url = reverse(name, kwargs=kwargs)
        for _ in range(POSTS_PER_FORM):
            request(everyone, "POST", url, hostile_form(rng, fields_of[name] or every_field), errors)
    for name, valid in valid_forms(ids).items():
        url = reverse(name, kwargs=routes[name])
        for field, good in valid.items():
            # A date or time gets every far date and impossible time; any field a sample of the rest.
            values = DATES_AND_TIMES if DATE_OR_TIME.match(good) else []
            for value in [*values, *rng.sample(HOSTILE, 5)]:
                request(everyone, "POST", url, {**valid, field: value}, errors)
    print(f"\nfuzz: {totals['requests']} requests, {totals['server_errors']} server errors")
    assert not errors, f"{len(errors)} server errors:\n" + "\n".join(errors)
