"""Settings for a worker subprocess started by the reminder tests: the test settings, pointed at
the test database the test process created, with mail written to the test's folder."""

import os

from clinic.settings_test import *  # noqa: F403

DATABASES["default"]["NAME"] = os.environ["REMINDER_TEST_DB_NAME"]  # noqa: F405
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
EMAIL_BACKEND = "tests.reminders.mailbox.FolderBackend"
EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]
