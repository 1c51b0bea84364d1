"""E-mail backends for the reminder tests: each message is one file in a folder, so tests (and
worker processes they start) can count messages by their Message-ID.

Configured through settings (``EMAIL_FILE_PATH``) and, for the fault cases, a few environment
variables a worker subprocess inherits:

- ``REMINDER_TEST_MAIL_FAILURES``: the mail server refuses this many sends before it works
  (counted in a file in the folder, so all workers share it);
- ``REMINDER_TEST_MAIL_DELAY``: seconds each send takes (a slow mail server), during which a
  ``sending-*`` marker file says which message is on its way.
"""

import os
import smtplib
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


def folder() -> Path:
    path = Path(settings.EMAIL_FILE_PATH)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _take_failure(path: Path) -> bool:
    """True while the configured number of failures is not used up. The counter is a file per
    failure, created exclusively, so concurrent workers never use the same one twice."""
    wanted = int(os.environ.get("REMINDER_TEST_MAIL_FAILURES", "0"))
    for index in range(wanted):
        try:
            (path / f"failure-{index}").touch(exist_ok=False)
        except FileExistsError:
            continue
        return True
    return False


class FolderBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        path = folder()
        for message in email_messages:
            if _take_failure(path):
                raise smtplib.SMTPServerDisconnected("Test mail server: connection unexpectedly closed")
            raw = message.message().as_bytes()
            marker = path / f"sending-{uuid.uuid4().hex}"
            delay = float(os.environ.get("REMINDER_TEST_MAIL_DELAY", "0"))
            if delay:
                marker.write_bytes(raw)
                time.sleep(delay)
            # Written under another name, then renamed: a reader never sees half a message.
            name = uuid.uuid4().hex
            (path / f"{name}.tmp").write_bytes(raw)
            os.replace(path / f"{name}.tmp", path / f"{name}.eml")
            if delay:
                marker.unlink()
        return len(email_messages)


def message_ids(path: Path) -> list[str]:
    """The Message-ID of every e-mail in the folder (one entry per e-mail, duplicates kept)."""
    ids = []
    for file in sorted(path.glob("*.eml")):
        for line in file.read_bytes().decode().splitlines():
            if line.lower().startswith("message-id:"):
                ids.append(line.split(":", 1)[1].strip())
                break
    return ids
