import pytest
from django.test import override_settings
from django.urls import reverse

from scheduling.models import ClinicSettings


def test_clinic_admin_edits_rooms_hours_and_appointment_types(admin_client_):
    for model in ("room", "openinghours", "closure", "practitioner", "appointmenttype"):
        assert admin_client_.get(reverse(f"admin:scheduling_{model}_add")).status_code == 200, model


@override_settings(TIME_ZONE="America/New_York")
def test_clinic_settings_show_the_time_zone_read_only(admin_client_):
    ClinicSettings.load()
    response = admin_client_.get(reverse("admin:scheduling_clinicsettings_change", args=[1]))
    assert response.status_code == 200
    assert b"America/New_York" in response.content
    assert b'name="time_zone"' not in response.content


def test_front_desk_cannot_change_clinic_setup(front_desk_client):
    response = front_desk_client.get(reverse("admin:scheduling_room_changelist"))
    assert response.status_code == 302  # the admin sends non-staff users to its login


@pytest.mark.django_db
def test_clinic_settings_have_one_row():
    assert ClinicSettings.load().pk == ClinicSettings.load().pk == 1
