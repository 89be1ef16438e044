from datetime import timedelta

from portal.config import Config, normalise_database_url


def test_defaults_work_on_a_bare_machine(tmp_path):
    config = Config(tmp_path, env={})

    assert f"sqlite:///{tmp_path / 'portal.db'}" == config.SQLALCHEMY_DATABASE_URI
    assert f"unix://{tmp_path / 'redis.sock'}" == config.REDIS_URL
    assert config.REDIS_EMBEDDED is True
    assert f"file://{tmp_path / 'mail'}" == config.MAIL_URL
    assert str(tmp_path / "search") == config.SEARCH_INDEX_DIR
    assert {"high": timedelta(minutes=10), "medium": timedelta(hours=1),
                                         "low": timedelta(hours=24)} == config.SLA_FIRST_RESPONSE
    assert config.SLA_RESOLUTION["low"] == timedelta(hours=72)
    assert config.SESSION_COOKIE_SECURE is True


def test_the_secret_key_is_generated_once_and_kept(tmp_path):
    first = Config(tmp_path, env={}).SECRET_KEY
    second = Config(tmp_path, env={}).SECRET_KEY

    assert len(first) == 64
    assert first == second
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_overrides_every_default(tmp_path):
    config = Config(tmp_path, env={
        "SECRET_KEY": "s", "DATABASE_URL": "postgres://u@db/portal", "REDIS_URL": "redis://r:6379/2",
        "SLA_HIGH_FIRST_RESPONSE_MINUTES": "5", "RETURN_WINDOW_NO_REASON_DAYS": "14", "PORTAL_ENV": "development",
    })

    assert config.SECRET_KEY == "s"
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@db/portal"
    assert config.REDIS_EMBEDDED is False
    assert config.RATELIMIT_STORAGE_URI == "redis://r:6379/2"
    assert config.SLA_FIRST_RESPONSE["high"] == timedelta(minutes=5)
    assert config.RETURN_WINDOW_NO_REASON_DAYS == 14
    assert config.SESSION_COOKIE_SECURE is False
    assert not (tmp_path / "secret_key").exists()


def test_postgres_urls_use_the_psycopg_driver():
    assert normalise_database_url("postgresql://x/y") == "postgresql+psycopg://x/y"
    assert normalise_database_url("sqlite:///a.db") == "sqlite:///a.db"
