"""Settings for the worker and beat that bench/reminders.py starts: the test settings on the
benchmark's database, real SMTP to the benchmark's sink, and beat's sweep every few seconds
(production: 60) so a run does not wait a minute for its first sweep."""

import os

from clinic.settings_test import *  # noqa: F403

DATABASES["default"]["NAME"] = os.environ["BENCH_DB_NAME"]  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ["BENCH_SMTP_PORT"])
# The sink is a plain local SMTP server (production defaults to TLS to the relay).
EMAIL_USE_TLS = False
EMAIL_USE_SSL = False
CELERY_BEAT_SCHEDULE = {
    name: {**entry, "schedule": float(os.environ.get("BENCH_SWEEP_SECONDS", "5"))}
    for name, entry in CELERY_BEAT_SCHEDULE.items()  # noqa: F405
}
