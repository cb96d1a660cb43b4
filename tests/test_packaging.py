"""Installing the project prints nothing to worry a newcomer: pyproject.toml is current."""

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

PYPROJECT = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
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
