"""ClinicSettings.load() reads the row once per request and once per task, never across them."""

from django.http import HttpResponse
from django.test import RequestFactory

from scheduling.middleware import clinic_settings_per_request
from scheduling.models import ClinicSettings
from scheduling.models.clinic import clinic_settings_scope
from scheduling.tasks import _close_settings_scope, _open_settings_scope


def _view_asking_twice(request):
    first, second = ClinicSettings.load(), ClinicSettings.load()
    return HttpResponse(f"{first.slot_minutes} {second.slot_minutes}")


def test_outside_a_request_each_load_reads_the_row(db, django_assert_num_queries):
    ClinicSettings.load()
    with django_assert_num_queries(2):
        ClinicSettings.load()
        ClinicSettings.load()


def test_a_request_reads_the_settings_once_and_the_next_request_sees_an_edit(db, django_assert_num_queries):
    ClinicSettings.load()
    handler = clinic_settings_per_request(_view_asking_twice)

    with django_assert_num_queries(1):
        assert handler(RequestFactory().get("/")).content == b"15 15"
    ClinicSettings.objects.filter(pk=1).update(slot_minutes=30)

    with django_assert_num_queries(1):
        assert handler(RequestFactory().get("/")).content == b"30 30"


def test_the_first_load_in_a_request_creates_the_row_when_missing(db):
    with clinic_settings_scope():
        assert ClinicSettings.load().pk == 1
    assert ClinicSettings.objects.count() == 1


def test_a_task_reads_the_settings_once_and_the_next_task_sees_an_edit(db, django_assert_num_queries):
    ClinicSettings.load()
    _open_settings_scope(task_id="one")
    with django_assert_num_queries(1):
        ClinicSettings.load()
        ClinicSettings.load()
    _close_settings_scope(task_id="one")
    ClinicSettings.objects.filter(pk=1).update(slot_minutes=30)

    _open_settings_scope(task_id="two")
    try:
        assert ClinicSettings.load().slot_minutes == 30
    finally:
        _close_settings_scope(task_id="two")


def test_a_task_run_inside_a_request_leaves_the_requests_settings_in_place(db, django_assert_num_queries):
    # An eager task (or one called inline) closes its own scope, not the request's.
    with clinic_settings_scope():
        outer = ClinicSettings.load()
        _open_settings_scope(task_id="inner")
        _close_settings_scope(task_id="inner")
        with django_assert_num_queries(0):
            assert ClinicSettings.load() is outer
