"""Settings for the benchmark: the test settings on a database of its own, named per size
(``ACUCLINIC_BENCH_DB``: a PostgreSQL database name, or a SQLite file), so a seeded clinic is
reused by the next run."""

import os

from clinic.settings_test import *  # noqa: F403

DATABASES["default"]["NAME"] = os.environ["ACUCLINIC_BENCH_DB"]  # noqa: F405
