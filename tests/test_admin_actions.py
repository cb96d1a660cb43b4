"""Every admin action says which permission it needs, so view-only staff never get one."""

import pytest
from django.apps import apps
from django.contrib import admin


def actions_of_every_admin():
    for model in apps.get_models():
        if admin.site.is_registered(model):
            model_admin = admin.site.get_model_admin(model)
            for name in model_admin.actions or ():
                func, _name, _description = model_admin.get_action(name)
                yield pytest.param(func, id=f"{model._meta.label}.{name}")


@pytest.mark.parametrize("action", list(actions_of_every_admin()))
def test_the_action_declares_the_permission_it_needs(action):
    assert getattr(action, "allowed_permissions", ())
