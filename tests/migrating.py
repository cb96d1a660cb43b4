"""Moving the test database to given migrations, for tests of what a migration keeps."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets):
    """Apply or unapply migrations up to `targets`; returns the models as they are there."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps
