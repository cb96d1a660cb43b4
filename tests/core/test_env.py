"""EnvReader: defaults when a variable is unset, and one clear error naming a bad one."""

import pytest

from core.env import LOG_LEVELS, LOG_SINKS, EnvReader, SettingsError


@pytest.fixture
def reader(monkeypatch):
    for name in ("UNSET", "SETTING"):
        monkeypatch.delenv(name, raising=False)
    return EnvReader()


def test_every_variable_asked_for_is_recorded(reader):
    reader.str("UNSET")
    reader.int("SETTING", 1)
    assert reader.read_names == ["UNSET", "SETTING"]


def test_a_missing_env_file_is_not_an_error(tmp_path):
    assert EnvReader(tmp_path / "absent.env").str("UNSET", "fallback") == "fallback"


def test_an_empty_string_setting_uses_the_default(reader, monkeypatch):
    monkeypatch.setenv("SETTING", "   ")
    assert reader.str("SETTING", "fallback") == "fallback"


def test_a_required_value_that_is_set_is_returned(reader, monkeypatch):
    monkeypatch.setenv("SETTING", " token ")
    assert reader.required_str("SETTING", "Ask the admin.") == "token"


def test_a_required_value_that_is_missing_names_the_variable_and_the_hint(reader):
    with pytest.raises(SettingsError, match=r"^UNSET is not set\. Ask the admin\.$"):
        reader.required_str("UNSET", "Ask the admin.")


@pytest.mark.parametrize("default", [True, False])
def test_an_unset_flag_takes_its_default(reader, default):
    assert reader.bool("UNSET", default) is default


@pytest.mark.parametrize("word", ["1", "TRUE", "yes", "On", "y", "t"])
def test_yes_words_are_true(reader, monkeypatch, word):
    monkeypatch.setenv("SETTING", word)
    assert reader.bool("SETTING", False) is True


def test_a_flag_that_is_not_yes_or_no_is_named_in_the_error(reader, monkeypatch):
    monkeypatch.setenv("SETTING", "maybe")
    with pytest.raises(SettingsError, match="SETTING='maybe' is not a yes/no value"):
        reader.bool("SETTING", True)


def test_an_unset_whole_number_takes_its_default(reader):
    assert reader.int("UNSET", 30, minimum=1) == 30


def test_a_whole_number_at_the_minimum_is_accepted(reader, monkeypatch):
    monkeypatch.setenv("SETTING", "1")
    assert reader.int("SETTING", 30, minimum=1) == 1


def test_an_unset_number_takes_its_default(reader):
    assert reader.float("UNSET", 2.5) == 2.5


def test_an_unset_list_takes_a_copy_of_its_default(reader):
    default = ["console"]
    value = reader.list("UNSET", default)
    assert value == ["console"]
    assert value is not default


def test_a_list_set_to_an_empty_string_is_empty(reader, monkeypatch):
    monkeypatch.setenv("SETTING", "")
    assert reader.list("SETTING", ["console"]) == []


def test_a_choice_is_matched_case_insensitively(reader, monkeypatch):
    monkeypatch.setenv("SETTING", "warning")
    assert reader.choice("SETTING", "INFO", LOG_LEVELS, upper=True) == "WARNING"


def test_an_unset_choice_takes_its_default(reader):
    assert reader.choice("UNSET", "ru", ("ru", "en")) == "ru"


def test_an_unknown_choice_lists_the_allowed_values(reader, monkeypatch):
    monkeypatch.setenv("SETTING", "de")
    with pytest.raises(SettingsError, match=r"SETTING='de' is not one of: ru, en\."):
        reader.choice("SETTING", "ru", ("ru", "en"))


def test_several_choices_are_read_lower_cased(reader, monkeypatch):
    monkeypatch.setenv("SETTING", "Console, FILE")
    assert reader.choices("SETTING", ["console"], LOG_SINKS) == ["console", "file"]


def test_unknown_items_among_choices_are_named_with_the_allowed_ones(reader, monkeypatch):
    monkeypatch.setenv("SETTING", "console,pigeon,smoke")
    with pytest.raises(SettingsError) as error:
        reader.choices("SETTING", ["console"], LOG_SINKS)
    assert str(error.value) == (
        "SETTING has unknown item(s) pigeon, smoke; choose from: console, file, database, cloud."
    )


def test_a_url_with_scheme_and_host_is_accepted(reader, monkeypatch):
    monkeypatch.setenv("SETTING", "https://api.example.com/v1")
    assert reader.url("SETTING") == "https://api.example.com/v1"


def test_an_unset_url_is_empty(reader):
    assert reader.url("UNSET") == ""


@pytest.mark.parametrize("value", ["api.example.com", "ftp://example.com", "https://"])
def test_a_url_without_an_allowed_scheme_or_host_is_refused(reader, monkeypatch, value):
    monkeypatch.setenv("SETTING", value)
    with pytest.raises(SettingsError, match=r"SETTING=.* is not a URL; expected http or https"):
        reader.url("SETTING")


def test_a_secret_of_the_allowed_characters_is_read(reader, monkeypatch):
    monkeypatch.setenv("SETTING", "abc_DEF-123")
    assert reader.secret("SETTING", r"[A-Za-z0-9_-]{1,256}", "letters") == "abc_DEF-123"


def test_an_unset_secret_is_empty(reader):
    assert reader.secret("UNSET", r"[a-z]+", "letters") == ""


def test_a_malformed_secret_is_named_without_its_value(reader, monkeypatch):
    monkeypatch.setenv("SETTING", "sesame open")
    with pytest.raises(SettingsError) as error:
        reader.secret("SETTING", r"[a-z]+", "lower-case letters")
    assert str(error.value) == "SETTING must be lower-case letters; the value set is not."
    assert "sesame" not in str(error.value)


def test_a_value_of_a_known_shape_is_read_or_its_default_used(reader, monkeypatch):
    assert reader.matching("UNSET", "1", r"[0-9.]+", "digits") == "1"
    monkeypatch.setenv("SETTING", "2026.12")
    assert reader.matching("SETTING", "1", r"[0-9.]+", "digits") == "2026.12"


def test_a_value_of_another_shape_is_named_with_what_was_expected(reader, monkeypatch):
    monkeypatch.setenv("SETTING", "version two")
    with pytest.raises(SettingsError, match=r"SETTING='version two' is not digits and dots\."):
        reader.matching("SETTING", "1", r"[0-9.]+", "digits and dots")


def test_an_email_url_is_read_and_a_malformed_one_named_without_its_password(reader, monkeypatch):
    assert reader.email_url("UNSET") == ""
    monkeypatch.setenv("SETTING", "smtp+tls://bot:s3cret-pass@smtp.example.com:587")
    assert reader.email_url("SETTING") == "smtp+tls://bot:s3cret-pass@smtp.example.com:587"
    monkeypatch.setenv("SETTING", "smtp://bot:s3cret-pass@smtp.example.com:port")
    with pytest.raises(SettingsError) as error:
        reader.email_url("SETTING")
    assert str(error.value).startswith("SETTING is not an e-mail URL such as smtp+tls://")
    assert "s3cret" not in str(error.value)


def test_email_settings_come_from_the_url_and_recipients_need_one(reader, monkeypatch):
    assert reader.email_settings("UNSET_URL", recipients="UNSET_TO") == {
        "UNSET_URL": "",
        "UNSET_TO": [],
    }
    monkeypatch.setenv("MAIL", "smtp+tls://bot:s3cret-pass@smtp.example.com:587")
    monkeypatch.setenv("TO", "ops@example.com,owner@example.com")
    mail = reader.email_settings("MAIL", recipients="TO")
    assert (mail["EMAIL_HOST"], mail["EMAIL_PORT"], mail["EMAIL_USE_TLS"]) == (
        "smtp.example.com",
        587,
        True,
    )
    assert mail["TO"] == ["ops@example.com", "owner@example.com"]
    monkeypatch.delenv("MAIL")
    with pytest.raises(SettingsError, match=r"TO is set but MAIL is not: set how e-mail is sent\."):
        reader.email_settings("MAIL", recipients="TO")


def test_an_in_memory_sqlite_database_keeps_its_name(monkeypatch, tmp_path):
    monkeypatch.setenv("SETTING", "sqlite://:memory:")
    config = EnvReader(base_dir=tmp_path).database("SETTING", "")
    assert config["NAME"] == ":memory:"


def test_an_absolute_sqlite_path_is_kept(monkeypatch, tmp_path):
    monkeypatch.setenv("SETTING", f"sqlite:///{tmp_path}/app.sqlite3")
    config = EnvReader(base_dir=tmp_path / "project").database("SETTING", "")
    assert config["NAME"] == str(tmp_path / "app.sqlite3")


def test_sqlite_gets_options_for_concurrent_writers(reader):
    config = reader.database("UNSET", "sqlite:///db.sqlite3")
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_web_requests_do_not_keep_postgres_connections_unless_told_to(reader, monkeypatch):
    """Kept per request thread under ASGI, they filled the server's connection slots."""
    assert reader.database("UNSET", "postgres://user@127.0.0.1:5432/app")["CONN_MAX_AGE"] == 0
    monkeypatch.setenv("SETTING", "postgres://user@127.0.0.1:5432/app?conn_max_age=60")
    assert reader.database("SETTING", "")["CONN_MAX_AGE"] == 60


def test_an_unsupported_database_is_named_with_examples(reader, monkeypatch):
    monkeypatch.setenv("SETTING", "mysql://user@host/db")
    with pytest.raises(SettingsError, match=r"SETTING=.* is not a supported database URL"):
        reader.database("SETTING", "")
