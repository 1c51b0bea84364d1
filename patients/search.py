"""Finding patients: the staff search box, the pickers that search as you type, and the
probable-duplicate check at intake."""

import datetime as dt
import re

from django.db.models import Q, QuerySet

from patients.models import Patient
from patients.phones import to_e164

_PHONE_LIKE = re.compile(r"^\+?[\d\s().-]{6,}$")
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y")


def _parse_date(text: str) -> dt.date | None:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def patient_search(query: str) -> QuerySet[Patient]:
    """Patients matching ``query``: a phone number however it is formatted, "Surname, Firstname",
    or every word matching a name, e-mail or (when it reads as a date) the date of birth."""
    query = query.strip()
    patients = Patient.objects.all()
    if not query:
        return patients.none()
    if _PHONE_LIKE.match(query) and not _parse_date(query):
        return patients.filter(_phone_condition(query))
    if "," in query:
        surname, _, first = query.partition(",")
        if not (surname.split() or first.split()):
            return patients.none()
        return patients.filter(_words_in("last_name", surname), _words_in("first_name", first))
    for word in query.split():
        condition = Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        if (day := _parse_date(word)) is not None:
            condition |= Q(date_of_birth=day)
        patients = patients.filter(condition)
    return patients


def _phone_condition(query: str) -> Q:
    """A whole number ("07700 900123", "+44 7700 900123") is read in the clinic's region and
    matched exactly as stored (E.164); a fragment ("900-123") matches the digits it holds. The
    national trunk "0" is dropped so that an unreadable number kept as typed still matches."""
    digits = re.sub(r"\D", "", query).lstrip("0")
    condition = Q(phone__contains=digits)
    if (e164 := to_e164(query)) is not None:
        condition |= Q(phone=e164)
    return condition


def _words_in(field: str, text: str) -> Q:
    condition = Q()
    for word in text.split():
        condition &= Q(**{f"{field}__icontains": word})
    return condition


# A picker shows this many matches; the staff narrow the search rather than scroll.
PICKER_RESULTS = 20


def patient_matches(query: str, *, limit: int = PICKER_RESULTS) -> list[Patient]:
    """The first ``limit`` patients matching ``query``, for a picker that searches as you type
    (one query; on PostgreSQL the trigram indexes of migration 0005 serve the substring match)."""
    return list(patient_search(query).only("first_name", "last_name", "date_of_birth", "email", "phone")[:limit])


def picker_label(patient: Patient) -> str:
    """How a picker names a patient: enough to tell two of the same name apart."""
    contact = patient.email or patient.phone
    return f"{patient.last_name}, {patient.first_name} · {patient.date_of_birth:%d %b %Y}" + (f" · {contact}" if contact else "")


def probable_duplicates(*, first_name: str, last_name: str, date_of_birth: dt.date | None, email: str) -> list[Patient]:
    """Existing patients with the same name and date of birth, or the same e-mail."""
    condition = Q(pk__in=[])
    if first_name and last_name and date_of_birth:
        condition |= Q(
            first_name__iexact=first_name.strip(), last_name__iexact=last_name.strip(), date_of_birth=date_of_birth
        )
    if email:
        condition |= Q(email__iexact=email.strip())
    return list(Patient.objects.filter(condition)[:5])
