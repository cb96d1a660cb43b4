"""Installing the project prints nothing to worry a newcomer: pyproject.toml is current."""

import tomllib
from fnmatch import fnmatch
from pathlib import Path

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


def test_a_wheel_carries_every_template_and_static_file_of_the_apps():
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["*"]
    files = [path for kind in ("templates", "static") for path in ROOT.glob(f"*/{kind}/**/*")]
    names = {path.name for path in files if path.is_file()}

    assert "admin.css" in names
    assert [name for name in names if not any(fnmatch(name, p) for p in patterns)] == []
