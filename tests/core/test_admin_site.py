"""The project's admin site: every app's models on it, its name, and pages apps list on it."""

import pytest
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from conversations.models import Contact
from core.admin import StaffUserAdmin
from core.admin_site import ProjectAdminSite
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def test_every_app_registers_on_the_project_site():
    assert isinstance(admin.site, ProjectAdminSite)
    assert admin.site.is_registered(Contact)
    assert isinstance(admin.site.get_model_admin(User), StaffUserAdmin)


def test_site_header_names_the_product(admin_client):
    response = admin_client.get(reverse("admin:index"))

    assert "Consultation assistant" in response.content.decode()


def test_the_login_page_names_the_product_in_the_title(client, db):
    content = client.get(reverse("admin:login")).content.decode()

    assert "<title>Log in | Consultation assistant</title>" in content


def test_a_page_is_listed_for_staff_with_its_permission_only(db):
    site = ProjectAdminSite(name="test")
    site.add_index_link(
        section="Reports", title="Leads", url_name="reports:page", permission="auth.view_group"
    )
    allowed = UserFactory(is_staff=True)
    allowed.user_permissions.add(Permission.objects.get(codename="view_group"))

    assert [link.title for link in site.index_links_for(allowed)] == ["Leads"]
    assert site.index_links_for(UserFactory(is_staff=True)) == []


def test_a_page_added_again_is_listed_once(db):
    site = ProjectAdminSite(name="test")
    for _ in range(2):
        site.add_index_link(
            section="Reports", title="Leads", url_name="reports:page", permission="auth.view_group"
        )

    assert len(site.index_links_for(UserFactory(is_superuser=True))) == 1


class GroupWithMoreAdmin(GroupAdmin):
    """What an app above adds to another app's admin of groups."""


def test_an_app_extends_the_admin_of_a_model_of_an_app_below():
    site = ProjectAdminSite(name="test")
    site.register(Group, GroupAdmin)

    site.extend(Group, GroupWithMoreAdmin)

    assert type(site.get_model_admin(Group)) is GroupWithMoreAdmin


def test_an_admin_that_would_drop_what_the_registered_one_adds_is_refused():
    site = ProjectAdminSite(name="test")
    site.register(Group, GroupWithMoreAdmin)

    with pytest.raises(ImproperlyConfigured, match="GroupAdmin does not extend GroupWithMoreAdmin"):
        site.extend(Group, GroupAdmin)
