"""Django for a benchmark: a throwaway migrated database, production-like settings.

The database is SQLite in a temporary directory unless `DATABASE_URL` names another server
(PostgreSQL): then the benchmark creates `test_<name>` beside the named database, as the test
suite does, and drops it at the end. The named database itself is never touched.
"""

import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def configure(database_url: str, environment: dict[str, str]) -> None:
    """Configure Django, ignoring the developer's `.env`.

    DEBUG is off so Django keeps no query log, as in production. `setup_test_environment()`
    is not used: it instruments template rendering, which would add its own cost to every
    page measured; "testserver" is allowed for the test client instead.
    """
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        {
            "ENV_FILE": "/nonexistent",
            "DATABASE_URL": database_url,
            "DEBUG": "False",
            "SECURE_SSL_REDIRECT": "False",
            "ALLOWED_HOSTS": "testserver",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            **environment,
        }
    )
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key")
    import django

    django.setup()


@contextmanager
def throwaway_database(**environment: str):
    """Django on a fresh migrated database that is gone when the block ends."""
    server_url = os.environ.get("DATABASE_URL", "")
    with tempfile.TemporaryDirectory(prefix="bench-") as directory:
        if not server_url or server_url.startswith("sqlite"):
            configure(f"sqlite:///{Path(directory) / 'bench.sqlite3'}", environment)
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
            yield
            return
        configure(server_url, environment)
        from django.db import connection

        named = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            yield
        finally:
            connection.creation.destroy_test_db(named, verbosity=0)


def database_label() -> str:
    """What the numbers were measured on, for the report's first line."""
    from django.db import connection

    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"
    connection.ensure_connection()
    return f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}"


def analyze() -> None:
    """Fresh planner statistics, as a maintained database has them.

    PostgreSQL also gets its visibility map (VACUUM), which autovacuum keeps for a table
    loaded long ago and which index-only scans need.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def run_at_scale(doc: str, run) -> None:
    """Parse --contacts/--messages/--runs and call `run` on a fresh throwaway database.

    `run` says whether its targets were met; the exit status is 1 when they were not.
    """
    import argparse

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with throwaway_database():
        print(f"database: {database_label()}")
        met = run(args.contacts, args.messages, args.runs)
    sys.exit(0 if met else 1)
