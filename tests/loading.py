"""Helpers for the tests of the load commands and data sources."""

from io import StringIO

from django.core.management import call_command


def command_output(command: str, *args: str) -> str:
    """Run a management command and return what it printed."""
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def write_source(tmp_path, name: str, content: str | bytes) -> str:
    """Write a source file for a loader (text as UTF-8) and return its path."""
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)
