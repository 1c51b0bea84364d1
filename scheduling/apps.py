from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class SchedulingConfig(AppConfig):
    name = "scheduling"

    def ready(self):
        # The clinical answer to "does the screening block treatment?" (scheduling.treatment_gate).
        autodiscover_modules("booking_gate")
