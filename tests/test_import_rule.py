"""Apps depend one way: each imports, and relates its models to, only the apps below it.

The layers are import-linter's contract in pyproject.toml (docs/architecture.md, "Import
rule"); `lint-imports` checks the imports, and the models' relations are checked here against
the same layers, since a relation named by a string ("discovery.Scenario") imports nothing.
"""

import subprocess
import sys
import tomllib
from pathlib import Path

from django.apps import apps
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PYPROJECT = ROOT / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
IMPORT_LINTER = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
(CONTRACT,) = IMPORT_LINTER["contracts"]
#: Each project package's layer, 0 for the top one.
LAYER = {
    package.strip(): depth
    for depth, layer in enumerate(CONTRACT["layers"])
    for package in layer.split("|")
}


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    """The project's contract on the packages found first from `cwd` (the checkout's own)."""
    command = [LINT_IMPORTS, "--config", PYPROJECT, "--no-cache", "--no-logo"]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


def test_the_layers_name_every_package_of_the_project_once():
    assert sorted(LAYER) == sorted(IMPORT_LINTER["root_packages"])
    assert sum(len(layer.split("|")) for layer in CONTRACT["layers"]) == len(LAYER)


def test_apps_import_only_the_apps_below_them():
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr


def test_an_app_importing_an_app_above_it_breaks_the_rule(tmp_path):
    """The same contract on stand-ins for the apps, where conversations imports discovery."""
    for package in LAYER:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "conversations" / "admin.py").write_text("from discovery import selectors\n")
    (tmp_path / "discovery" / "selectors.py").write_text("")

    result = lint_imports(tmp_path)

    assert result.returncode == 1
    assert "conversations is not allowed to import discovery" in result.stdout
    assert "conversations.admin -> discovery.selectors (l.1)" in result.stdout


def points_up_or_across(app: str, related: str) -> bool:
    """A relation from `app` to an app of its own layer or one above it."""
    return app != related and app in LAYER and related in LAYER and LAYER[app] >= LAYER[related]


def relations_against_the_layers():
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields():
            if not field.is_relation or field.auto_created or field.related_model is None:
                continue
            related = field.related_model._meta
            if points_up_or_across(model._meta.app_label, related.app_label):
                yield f"{model._meta.label}.{field.name} -> {related.label}"


def test_models_relate_only_to_models_of_apps_below_them():
    assert list(relations_against_the_layers()) == []
