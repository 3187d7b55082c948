"""``manage.py rebuild_activity [--organization ID] [--since YYYY-MM-DD]``: recount the
dashboard's message-activity rollup (and the chats' first replies) from the messages.

Run once after deploying the rollup on a database with messages (the 0006 migration
already backfills; this is for a repair or a single workspace). Idempotent. On
PostgreSQL, sends wait while the recount's transaction runs."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organization
from messaging.chat import activity


class Command(BaseCommand):
    help = "Recount the dashboard's message-activity rollup from the messages."

    def add_arguments(self, parser):
        parser.add_argument("--organization", type=int, help="Only this workspace (its id).")
        parser.add_argument(
            "--since", help="Only UTC days from this one on (YYYY-MM-DD); first replies are all recounted."
        )

    def handle(self, *args, organization=None, since=None, **options):
        if organization is not None and not Organization.objects.filter(pk=organization).exists():
            raise CommandError(f"No workspace with id {organization}; give the id of an existing one.")
        since_day = None
        if since:
            try:
                since_day = date.fromisoformat(since)
            except ValueError:
                raise CommandError(f"--since {since!r} is not a date; write it as YYYY-MM-DD.") from None
        days = activity.activity_rebuild(since=since_day, organization_id=organization)
        replies = activity.first_replies_rebuild(organization_id=organization)
        self.stdout.write(f"Recounted {days} person-days of messages and {replies} chat first replies.")
