"""Per-request middleware of the scheduling app."""

from scheduling.models.clinic import clinic_settings_scope


def clinic_settings_per_request(get_response):
    """Each request reads the clinic settings row at most once, however many places ask
    (``ClinicSettings.load``); the next request reads it again, so an edit shows at once."""

    def middleware(request):
        with clinic_settings_scope():
            return get_response(request)

    return middleware
