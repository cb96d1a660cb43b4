"""Which database gets which tables."""

from django.db import connections


class JobQueueRouter:
    """procrastinate's tables (and the SQL functions they need) exist only on PostgreSQL.

    On SQLite its migrations are skipped and the inbox is handled in the bot's own process.
    """

    def allow_migrate(self, db, app_label, **hints):
        if app_label == "procrastinate":
            return connections[db].vendor == "postgresql"
        return None
