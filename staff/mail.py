"""Facts about the clinic's outgoing mail that more than one app needs."""

from email.utils import parseaddr

from django.conf import settings


def sender_domain() -> str:
    """The domain of DEFAULT_FROM_EMAIL ("Clinic <desk@clinic.example>" → "clinic.example"), for
    identifiers the clinic mints in its own name (Message-IDs, calendar UIDs)."""
    _, at, domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")
    # A reserved domain (RFC 2606) when the address has none, rather than a made-up one.
    return domain if at and domain else "acuclinic.invalid"
