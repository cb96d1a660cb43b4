"""Django for a benchmark: a throwaway migrated SQLite database, production-like settings."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(database_path: Path, **environment: str) -> None:
    """Configure Django on `database_path`, ignoring the developer's `.env`, and migrate.

    DEBUG is off so Django keeps no query log, as in production. `setup_test_environment()`
    is not used: it instruments template rendering, which would add its own cost to every
    page measured; "testserver" is allowed for the test client instead.
    """
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        {
            "ENV_FILE": "/nonexistent",
            "DATABASE_URL": f"sqlite:///{database_path}",
            "DEBUG": "False",
            "SECURE_SSL_REDIRECT": "False",
            "ALLOWED_HOSTS": "testserver",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "assistant.settings",
            **environment,
        }
    )
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def run_at_scale(doc: str, run) -> None:
    """Parse --contacts/--messages/--runs and call `run` on a fresh throwaway database."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-") as directory:
        setup_django(Path(directory) / "bench.sqlite3")
        run(args.contacts, args.messages, args.runs)
