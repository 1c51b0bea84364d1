from staff.roles import ACUPUNCTURIST, CLINIC_ADMIN, FRONT_DESK

# Calendars, the patient timeline and the maintenance list are behind view_visit.
_SEE = ["scheduling.view_visit", "scheduling.view_series", "scheduling.view_maintenanceschedule"]
# Booking, moving, cancelling, arrivals and no-shows (SPEC §1, front desk).
_DESK = [
    *_SEE,
    "scheduling.add_visit",
    "scheduling.change_visit",
    "scheduling.add_series",
    "scheduling.change_series",
    "scheduling.change_maintenanceschedule",
    "scheduling.mark_not_treated",
    # The waiting list: add, see and close entries, book a waiting patient into a freed time.
    "scheduling.view_waitlistentry",
    "scheduling.add_waitlistentry",
    "scheduling.change_waitlistentry",
]
# Reminder history, failed sends ("send again") and the requests patients send through their links.
_REMINDERS = [
    "scheduling.view_reminder",
    "scheduling.change_reminder",
    "scheduling.view_patientrequest",
    "scheduling.change_patientrequest",
]
_SETUP_MODELS = ["room", "openinghours", "closure", "practitioner", "workinghours", "timeoff", "appointmenttype"]

ROLE_PERMISSIONS = {
    FRONT_DESK: [*_DESK, *_REMINDERS],
    # Acupuncturists see calendars and book follow-up visits (not series, moves or cancellations).
    # and mark an arrived patient "not treated" when today's screening stops the session.
    ACUPUNCTURIST: [*_SEE, "scheduling.add_visit", "scheduling.mark_not_treated"],
    # Clinic setup through the admin site, plus everything the front desk does.
    CLINIC_ADMIN: [
        *_DESK,
        *_REMINDERS,
        *(f"scheduling.{action}_{model}" for model in _SETUP_MODELS for action in ("add", "change", "delete", "view")),
        "scheduling.view_clinicsettings",
        "scheduling.change_clinicsettings",
        # When reminders were last swept (read-only in Clinic settings).
        "scheduling.view_sweepheartbeat",
    ],
}
