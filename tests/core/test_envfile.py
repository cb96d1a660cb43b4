"""`make run` creates .env from the example with a fresh secret key, once."""

import stat

from core.envfile import BASE_DIR, ensure_env_file, main


def test_env_file_is_created_with_a_fresh_secret_key_and_private_permissions(tmp_path):
    env_path = tmp_path / ".env"
    assert ensure_env_file(env_path, BASE_DIR / ".env.example") is True
    lines = env_path.read_text().splitlines()
    secret = next(line for line in lines if line.startswith("SECRET_KEY="))
    assert len(secret.removeprefix("SECRET_KEY=")) >= 50
    assert stat.S_IMODE(env_path.stat().st_mode) == 0o600
    assert "DATABASE_URL=sqlite:///db.sqlite3" in lines


def test_an_existing_env_file_is_never_overwritten(tmp_path):
    env_path = tmp_path / ".env"
    env_path.write_text("SECRET_KEY=mine\n")
    assert ensure_env_file(env_path, BASE_DIR / ".env.example") is False
    assert env_path.read_text() == "SECRET_KEY=mine\n"


def test_the_command_line_entry_point_reports_what_it_created(tmp_path, capsys):
    env_path = tmp_path / ".env"
    assert main(["envfile", str(env_path)]) == 0
    assert "Created" in capsys.readouterr().out
    assert main(["envfile", str(env_path)]) == 0
    assert capsys.readouterr().out == ""
