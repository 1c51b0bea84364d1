from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class PatientsConfig(AppConfig):
    name = "patients"

    def ready(self) -> None:
        # Each app's ``rights`` module registers what it holds about a patient (patients.rights),
        # so patients reads the other apps' records without importing them.
        autodiscover_modules("rights")
