from django.core.management.base import BaseCommand, CommandError

from staff.audit_chain import verify_chain


class Command(BaseCommand):
    help = "Check the audit trail's hash chain and report the first event that breaks it."

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.intact:
            broken = report.first_break
            raise CommandError(
                f"Audit chain broken at event #{broken.event_id} (seq {broken.seq}): {broken.reason}. "
                f"{report.checked} events before it are intact."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} events."))
