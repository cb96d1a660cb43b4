"""Fixtures shared by the whole suite."""

import pytest

from tests.factories import UserFactory

pytest_plugins = ["tests.fakes.fixtures", "tests.file_server"]


@pytest.fixture
def staff_user(db):
    """A superuser: every admin page and action is open to them."""
    return UserFactory(username="admin", is_superuser=True)


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client
