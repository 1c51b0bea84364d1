"""Creates a believable demo clinic. Each app contributes through ``<app>/demo.py`` (a ``load(ctx)``
function), called in INSTALLED_APPS order so that later apps can use what earlier ones made."""

from importlib import import_module

from django.apps import apps
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Load demo data: staff logins, patients, and whatever each app adds."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if any user exists.")

    def handle(self, *args, if_empty: bool = False, **options):
        if if_empty and User.objects.exists():
            self.stdout.write("Demo data: users exist already, nothing loaded.")
            return
        ctx: dict = {"logins": []}
        with transaction.atomic():
            for config in apps.get_app_configs():
                try:
                    module = import_module(f"{config.name}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{config.name}.demo":
                        raise
                    continue
                module.load(ctx)
                self.stdout.write(f"Demo data: {config.name} loaded.")
        self.stdout.write(self.style.SUCCESS("\nDemo logins (change these on any real machine):"))
        for role, username, password in ctx["logins"]:
            self.stdout.write(f"  {role:<14} {username:<12} {password}")
