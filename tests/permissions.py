"""Staff users with only some admin permissions, for tests of what they may not do."""

from django.contrib.auth.models import Permission

from tests.factories import UserFactory


def login_with_permissions(client, *codenames: str, bots=()):
    """Log `client` in as a staff member (not a superuser) holding only `codenames`, who
    works with `bots`."""
    user = UserFactory()
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    user.bots.add(*bots)
    client.force_login(user)
    return client
