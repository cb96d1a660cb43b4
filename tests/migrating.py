"""Moving the test database to given migrations, for tests of what a migration keeps."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets):
    """Apply or unapply migrations up to `targets`; returns the models as they are there."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def migrate_to_latest():
    """Every app back at its latest migration, as the rest of the suite expects the database.

    Going back to one app's migration also takes back the migrations of other apps that
    depend on it, which moving that app forward again does not bring back.
    """
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
