"""Configuration layers for LabTrack: development (default), test and production.

Every setting can be overridden by an environment variable named ``LABTRACK_<SETTING>``.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _env(name: str, default=None):
    return os.environ.get(f"LABTRACK_{name}", default)


def _env_int(name: str, default: int) -> int:
    return int(_env(name, default))


class ConfigError(RuntimeError):
    """Raised when a configuration cannot safely start the application."""


class BaseConfig:
    """Safe defaults shared by every environment."""

    ENV_NAME = "base"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI = _env(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'labtrack.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    LAB_NAME = _env("LAB_NAME", "Cell Therapy Laboratory")
    LAB_TIMEZONE = _env("TIMEZONE", "Europe/Madrid")

    PASSWORD_MIN_LENGTH = _env_int("PASSWORD_MIN_LENGTH", 12)
    LOCKOUT_THRESHOLD = _env_int("LOCKOUT_THRESHOLD", 5)
    LOCKOUT_MINUTES = _env_int("LOCKOUT_MINUTES", 15)
    IDLE_TIMEOUT_MINUTES = _env_int("IDLE_TIMEOUT_MINUTES", 30)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the idle timeout already bounds a session

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ("en", "es")

    PROXY_FIX = _env("PROXY_FIX", "") in ("1", "true", "yes")
    PAGE_SIZE = _env_int("PAGE_SIZE", 25)  # rows per page of every list

    # ISBT 128 facility identification number used to generate DINs.
    FACILITY_ID = _env("FACILITY_ID", "A9999")
    # Dose and product defaults (each order can set its own cells per disc and tolerance).
    DEFAULT_CELLS_PER_DISC = _env_int("DEFAULT_CELLS_PER_DISC", 20_000_000)
    DEFAULT_TOLERANCE_PERCENT = _env_int("DEFAULT_TOLERANCE_PERCENT", 20)
    DOSE_SHELF_LIFE_HOURS = _env_int("DOSE_SHELF_LIFE_HOURS", 24)
    DOSE_STORAGE = _env("DOSE_STORAGE", "Store at 2–8 °C. Do not freeze.")
    # ISBT 128 product code of the dose (its last two characters, the division, are set
    # per dose: A0 for the first disc level, B0 for the second, …) and its description.
    PRODUCT_CODE = _env("PRODUCT_CODE", "S1234100")
    PRODUCT_DESCRIPTION = _env("PRODUCT_DESCRIPTION",
                               "Autologous bone-marrow MSC, culture-expanded")
    # Label stocks, width x height in mm: tube and flask labels, and dose labels (three
    # ISBT 128 linear symbols and the text a clinician checks need the larger stock).
    LABEL_STOCK = _env("LABEL_STOCK", "50x25")
    DOSE_LABEL_STOCK = _env("DOSE_LABEL_STOCK", "76x51")
    # Days needed between reaching the target and the procedure (harvest, formulation, QC).
    RELEASE_LEAD_DAYS = _env_int("RELEASE_LEAD_DAYS", 2)
    # Culture protocol (labtrack/culture/rules/protocol.py): day windows are inclusive culture days.
    CULTURE_NON_ADHERENT_REMOVAL_FIRST_DAY = _env_int("CULTURE_NON_ADHERENT_REMOVAL_FIRST_DAY", 2)
    CULTURE_NON_ADHERENT_REMOVAL_LAST_DAY = _env_int("CULTURE_NON_ADHERENT_REMOVAL_LAST_DAY", 3)
    CULTURE_MEDIUM_CHANGE_MIN_DAYS = _env_int("CULTURE_MEDIUM_CHANGE_MIN_DAYS", 3)
    CULTURE_MEDIUM_CHANGE_MAX_DAYS = _env_int("CULTURE_MEDIUM_CHANGE_MAX_DAYS", 4)
    CULTURE_OBSERVATION_MIN_DAYS = _env_int("CULTURE_OBSERVATION_MIN_DAYS", 1)
    CULTURE_OBSERVATION_MAX_DAYS = _env_int("CULTURE_OBSERVATION_MAX_DAYS", 2)
    CULTURE_PASSAGE_DUE_CONFLUENCE = _env_int("CULTURE_PASSAGE_DUE_CONFLUENCE", 70)
    CULTURE_PASSAGE_OVERDUE_CONFLUENCE = _env_int("CULTURE_PASSAGE_OVERDUE_CONFLUENCE", 80)
    CULTURE_HARVEST_DAY = _env_int("CULTURE_HARVEST_DAY", 21)
    CULTURE_HARVEST_TOLERANCE_DAYS = _env_int("CULTURE_HARVEST_TOLERANCE_DAYS", 2)
    CULTURE_COUNT_INTERVAL_DAYS = _env_int("CULTURE_COUNT_INTERVAL_DAYS", 7)
    # Plausibility of cell counts (culture/rules/plausibility.py); see the README.
    CULTURE_MIN_DOUBLING_TIME_DAYS = float(_env("CULTURE_MIN_DOUBLING_TIME_DAYS", "0.8"))
    CULTURE_MAX_ABOVE_PROJECTION = float(_env("CULTURE_MAX_ABOVE_PROJECTION", "3"))
    CULTURE_MAX_TARGET_MULTIPLE = float(_env("CULTURE_MAX_TARGET_MULTIPLE", "10"))
    CULTURE_HARVEST_MAX_RATIO = float(_env("CULTURE_HARVEST_MAX_RATIO", "2"))
    CULTURE_SPLIT_TOLERANCE_PERCENT = _env_int("CULTURE_SPLIT_TOLERANCE_PERCENT", 20)
    CULTURE_MAX_CELLS_PER_CM2 = _env_int("CULTURE_MAX_CELLS_PER_CM2", 100_000)
    # Bone-marrow sample acceptance rules.
    SAMPLE_MAX_HOURS_TO_RECEIPT = _env_int("SAMPLE_MAX_HOURS_TO_RECEIPT", 24)
    SAMPLE_MIN_VOLUME_ML = _env_int("SAMPLE_MIN_VOLUME_ML", 30)
    SAMPLE_MAX_VOLUME_ML = _env_int("SAMPLE_MAX_VOLUME_ML", 150)
    SAMPLE_MIN_TEMPERATURE_C = _env_int("SAMPLE_MIN_TEMPERATURE_C", 15)
    SAMPLE_MAX_TEMPERATURE_C = _env_int("SAMPLE_MAX_TEMPERATURE_C", 25)
    DEMO_DATA_ALLOWED = True
    # Counter files wait here between upload and confirmation (never in the database).
    COUNTER_UPLOAD_DIR = _env("COUNTER_UPLOAD_DIR", str(INSTANCE_DIR / "counter_uploads"))


class DevelopmentConfig(BaseConfig):
    """Local use on a laptop: SQLite under instance/, a per-machine secret."""

    ENV_NAME = "development"

    def __init__(self) -> None:
        self.SECRET_KEY = _env("SECRET_KEY") or _instance_secret()


class TestConfig(BaseConfig):
    """Used by the test suite; the database URL is supplied by the fixtures."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    # One directory per test process, so parallel runs never see each other's uploads.
    COUNTER_UPLOAD_DIR = str(Path(tempfile.gettempdir()) / f"labtrack-uploads-{os.getpid()}")
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105  (fast hashing for a quick suite)


class ProductionConfig(BaseConfig):
    """Production: refuses to start without its secrets from the environment."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    DEMO_DATA_ALLOWED = False

    def __init__(self) -> None:
        secret = _env("SECRET_KEY")
        database_url = _env("DATABASE_URL")
        missing = [
            name
            for name, value in (
                ("LABTRACK_SECRET_KEY", secret),
                ("LABTRACK_DATABASE_URL", database_url),
            )
            if not value
        ]
        if missing:
            raise ConfigError(
                "Production configuration needs these environment variables: "
                + ", ".join(missing)
            )
        self.SECRET_KEY = secret
        self.SQLALCHEMY_DATABASE_URI = database_url


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def load_config(name: str | None = None) -> BaseConfig:
    """Return the configuration named by ``name`` or ``LABTRACK_ENV`` (default development)."""
    name = name or _env("ENV", "development")
    try:
        return CONFIGS[name]()
    except KeyError:
        raise ConfigError(
            f"Unknown LABTRACK_ENV {name!r}; use one of {', '.join(CONFIGS)}"
        ) from None


def _instance_secret() -> str:
    """A random secret kept in instance/ so development sessions survive restarts."""
    INSTANCE_DIR.mkdir(exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(os.urandom(32).hex())
        path.chmod(0o600)
    return path.read_text().strip()
