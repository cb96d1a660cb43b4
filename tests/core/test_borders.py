"""core/ is what every app may use, so it uses none of them: no app can loop back through it."""

import ast
from pathlib import Path

from django.conf import settings

CORE = Path(settings.BASE_DIR) / "core"
PROJECT_PACKAGES = {
    "analytics",
    "assistant",
    "bot",
    "catalog",
    "config",
    "conversations",
    "discovery",
}


def imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_core_imports_no_app_of_the_project():
    imports = {
        f"{path.relative_to(CORE)}: {module}"
        for path in CORE.rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] in PROJECT_PACKAGES
    }

    assert imports == set()
