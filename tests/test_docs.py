"""The documentation tells the truth: every setting, command and dependency is listed."""

import re
from pathlib import Path

import yaml
from django.conf import settings
from django.core.management import get_commands

BASE_DIR = Path(__file__).resolve().parent.parent
README = (BASE_DIR / "README.md").read_text(encoding="utf-8")
ENV_EXAMPLE = (BASE_DIR / ".env.example").read_text(encoding="utf-8")
PROJECT_APPS = {"assistant", "bot", "catalog", "conversations", "core", "discovery", "analytics"}


def env_example_names():
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE, flags=re.MULTILINE))


def shipped_key_variables():
    registry = yaml.safe_load((BASE_DIR / "assistant/defaults/models.yaml").read_text())
    providers = registry["providers"] if isinstance(registry, dict) else registry
    return {provider["api_key_env"] for provider in providers if provider.get("api_key_env")}


def test_every_setting_read_from_the_environment_is_in_env_example():
    missing = set(settings.ENV_VARIABLES_READ) - env_example_names()
    assert not missing


def test_every_setting_read_from_the_environment_is_in_the_readme_table():
    missing = [name for name in settings.ENV_VARIABLES_READ if f"`{name}`" not in README]
    assert not missing


def test_env_example_lists_nothing_that_is_not_read():
    known = set(settings.ENV_VARIABLES_READ) | shipped_key_variables()
    assert env_example_names() - known == set()


def test_every_api_key_variable_of_the_shipped_providers_is_documented():
    for name in shipped_key_variables():
        assert f"`{name}`" in README
        assert name in env_example_names()


def test_every_management_command_of_ours_is_in_the_readme():
    ours = [name for name, app in get_commands().items() if app in PROJECT_APPS]
    missing = [name for name in ours if name not in README]
    assert ours and not missing


def pyproject_requirements():
    text = (BASE_DIR / "pyproject.toml").read_text(encoding="utf-8")
    blocks = re.findall(r"^(?:dependencies|dev) = \[(.*?)^\]", text, re.MULTILINE | re.DOTALL)
    return [item for block in blocks for item in re.findall(r'"([^"]+)"', block)]


def test_environment_yml_pins_the_same_packages_as_pyproject():
    environment = yaml.safe_load((BASE_DIR / "environment.yml").read_text(encoding="utf-8"))
    pip_section = next(
        item["pip"] for item in environment["dependencies"] if isinstance(item, dict)
    )
    assert sorted(pip_section) == sorted(pyproject_requirements())
    assert "python>=3.11" in environment["dependencies"]
