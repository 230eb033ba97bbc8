"""Settings from LMS_* environment variables."""

import stat

import pytest

from lms.config import ConfigError, Settings, settings_table


def test_defaults_are_a_sqlite_file_and_a_stored_secret(tmp_path):
    settings = Settings.from_env({"LMS_INSTANCE_PATH": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'lms.sqlite3'}"
    assert settings.default_locale == "ko"
    assert settings.session_cookie_secure is False
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == settings.secret_key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_secret_key_is_generated_once_and_reused(tmp_path):
    first = Settings.from_env({"LMS_INSTANCE_PATH": str(tmp_path)})
    second = Settings.from_env({"LMS_INSTANCE_PATH": str(tmp_path)})
    assert first.secret_key == second.secret_key
    assert len(first.secret_key) >= 32


def test_explicit_secret_key_writes_no_file(tmp_path):
    settings = Settings.from_env({"LMS_INSTANCE_PATH": str(tmp_path), "LMS_SECRET_KEY": "k" * 40})
    assert settings.secret_key == "k" * 40
    assert not (tmp_path / "secret_key").exists()


def test_https_base_url_turns_secure_cookies_on(tmp_path):
    env = {"LMS_INSTANCE_PATH": str(tmp_path), "LMS_BASE_URL": "https://lms.example.org/"}
    settings = Settings.from_env(env)
    assert settings.session_cookie_secure is True
    assert settings.base_url == "https://lms.example.org"
    assert settings.flask_config()["SESSION_COOKIE_SECURE"] is True


def test_secure_cookie_can_be_forced_off(tmp_path):
    env = {
        "LMS_INSTANCE_PATH": str(tmp_path),
        "LMS_BASE_URL": "https://lms.example.org",
        "LMS_SESSION_COOKIE_SECURE": "false",
    }
    assert Settings.from_env(env).session_cookie_secure is False


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LMS_DEFAULT_LOCALE", "fr"),
        ("LMS_SESSION_COOKIE_SECURE", "maybe"),
        ("LMS_LOGIN_LOCKOUT_ATTEMPTS", "five"),
        ("LMS_API_TOKEN_TTL_DAYS", "-1"),
    ],
)
def test_bad_values_name_the_variable(tmp_path, name, value):
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({"LMS_INSTANCE_PATH": str(tmp_path), name: value})


def test_every_setting_is_documented():
    table = settings_table()
    for name in ("LMS_DATABASE_URL", "LMS_SECRET_KEY", "LMS_DEFAULT_LOCALE", "LMS_BASE_URL"):
        assert f"`{name}`" in table
    assert "None" not in table


def test_default_instance_folder_is_created(tmp_path):
    instance = tmp_path / "new" / "instance"
    env = {"LMS_INSTANCE_PATH": str(instance), "LMS_SECRET_KEY": "k" * 40}
    Settings.from_env(env)
    assert instance.is_dir()
