"""Configuration layers."""

import pytest

from config import ConfigError, ProductionConfig, load_config


def test_production_refuses_to_start_without_its_secrets(monkeypatch):
    monkeypatch.delenv("LABTRACK_SECRET_KEY", raising=False)
    monkeypatch.delenv("LABTRACK_DATABASE_URL", raising=False)
    with pytest.raises(ConfigError, match="LABTRACK_SECRET_KEY, LABTRACK_DATABASE_URL"):
        ProductionConfig()


def test_production_refuses_without_a_database_url(monkeypatch):
    monkeypatch.setenv("LABTRACK_SECRET_KEY", "s3cret")
    monkeypatch.delenv("LABTRACK_DATABASE_URL", raising=False)
    with pytest.raises(ConfigError, match="LABTRACK_DATABASE_URL"):
        ProductionConfig()


def test_production_refuses_without_an_audit_key_and_checkpoint_directory(monkeypatch):
    monkeypatch.setenv("LABTRACK_SECRET_KEY", "s3cret")
    monkeypatch.setenv("LABTRACK_DATABASE_URL", "postgresql+psycopg://db/labtrack")
    for name in ("AUDIT_KEYS", "AUDIT_KEY_FILE", "AUDIT_CHECKPOINT_DIR"):
        monkeypatch.delenv(f"LABTRACK_{name}", raising=False)
    with pytest.raises(ConfigError, match="LABTRACK_AUDIT_KEYS or LABTRACK_AUDIT_KEY_FILE, "
                                          "LABTRACK_AUDIT_CHECKPOINT_DIR"):
        ProductionConfig()


def test_production_reads_postgresql_from_the_environment(monkeypatch):
    monkeypatch.setenv("LABTRACK_SECRET_KEY", "s3cret")
    monkeypatch.setenv("LABTRACK_AUDIT_KEY_FILE", "/etc/labtrack/audit-keys")
    monkeypatch.setenv("LABTRACK_AUDIT_CHECKPOINT_DIR", "/var/lib/labtrack/checkpoints")
    monkeypatch.setenv("LABTRACK_DATABASE_URL", "postgresql+psycopg://db/labtrack")
    config = load_config("production")
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://db/labtrack"
    assert config.SESSION_COOKIE_SECURE is True
    assert config.DEMO_DATA_ALLOWED is False


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigError, match="Unknown LABTRACK_ENV"):
        load_config("staging")
