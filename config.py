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
    # Full lockout only after many failures; before that, throttling slows guessing
    # (SIGN_IN_LIMITS_*) without letting a stranger lock anyone out with a few tries.
    LOCKOUT_THRESHOLD = _env_int("LOCKOUT_THRESHOLD", 30)
    LOCKOUT_MINUTES = _env_int("LOCKOUT_MINUTES", 15)
    IDLE_TIMEOUT_MINUTES = _env_int("IDLE_TIMEOUT_MINUTES", 30)
    # Server-side sessions end this long after sign-in, however active.
    SESSION_LIFETIME_HOURS = _env_int("SESSION_LIFETIME_HOURS", 12)
    # Failed sign-ins allowed per account and per client address, each window waiting
    # longer (Flask-Limiter syntax). The storage must be shared by every app server:
    # e.g. redis://host:6379 or memcached://host:11211 (memory:// is per process).
    SIGN_IN_LIMITS_PER_ACCOUNT = _env("SIGN_IN_LIMITS_PER_ACCOUNT",
                                      "5 per minute; 10 per 15 minutes; 20 per hour")
    SIGN_IN_LIMITS_PER_CLIENT = _env("SIGN_IN_LIMITS_PER_CLIENT",
                                     "20 per minute; 60 per 15 minutes; 200 per hour")
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # The largest request accepted (a counter export is a few kB); larger: 413.
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 4 * 1024 * 1024)
    MAX_JSON_BYTES = _env_int("MAX_JSON_BYTES", 64 * 1024)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the idle timeout already bounds a session

    BABEL_DEFAULT_LOCALE = "en"  # the language the code's strings are written in
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ("en", "es")
    # Where the catalogues are (relative to labtrack/): labtrack/translations/<lang>/LC_MESSAGES.
    BABEL_TRANSLATION_DIRECTORIES = _env("TRANSLATION_DIRECTORIES", "translations")
    # The screen language of a user who chose none and whose browser asks for none we have.
    DEFAULT_LOCALE = _env("DEFAULT_LOCALE", "es")
    # The language of the lab's documents (release record, labels, notices), whatever the
    # reader's screen language: they are GMP records filed in Spain.
    DOCUMENT_LOCALE = _env("DOCUMENT_LOCALE", "es")

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
    # How far ahead a procedure may be planned (orders/rules/planning.py).
    ORDER_MAX_DAYS_AHEAD = _env_int("ORDER_MAX_DAYS_AHEAD", 365)
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
    # Steps a second person must verify before release (quality/rules/verification.py).
    CULTURE_CRITICAL_STEPS = _env("CULTURE_CRITICAL_STEPS",
                                  "isolation,seeding,passage,harvest,formulation")
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
    # Follow-up after the injection (labtrack/clinic/rules/followup.py, outcomes.py): visits
    # as key:days after the injection:days before:days after, comma-separated; the pain
    # scale (nrs 0–10 or vas 0–100 mm); ODI sections that may be left unanswered; the
    # responder rule (pain % lower and/or ODI points lower; join "any" or "all").
    FOLLOWUP_SCHEDULE = _env("FOLLOWUP_SCHEDULE", "baseline:0:30:0, week_1:7:3:4, "
                             "month_3:91:14:14, month_6:182:21:21, month_12:365:30:30")
    FOLLOWUP_PAIN_SCALE = _env("FOLLOWUP_PAIN_SCALE", "nrs")
    FOLLOWUP_ODI_MAX_MISSING = _env_int("FOLLOWUP_ODI_MAX_MISSING", 1)
    OUTCOME_PAIN_DROP_PERCENT = _env_int("OUTCOME_PAIN_DROP_PERCENT", 30)
    OUTCOME_ODI_DROP_POINTS = _env_int("OUTCOME_ODI_DROP_POINTS", 10)
    OUTCOME_RULE_JOIN = _env("OUTCOME_RULE_JOIN", "any")
    OUTCOME_ENDPOINT = _env("OUTCOME_ENDPOINT", "month_12")
    DEMO_DATA_ALLOWED = True
    # Counter files wait here between upload and confirmation (never in the database).
    COUNTER_UPLOAD_DIR = _env("COUNTER_UPLOAD_DIR", str(INSTANCE_DIR / "counter_uploads"))
    # The audit chain's keys (docs/AUDIT_TRAIL.md): never in the database. Either the
    # keyring itself ("k1:hex,k2:hex", the last one current) or a file of such lines.
    AUDIT_KEYS = _env("AUDIT_KEYS")
    AUDIT_KEY_FILE = _env("AUDIT_KEY_FILE")
    # Checkpoints of the chain are appended to files in this directory (outside the
    # database), and also sent to syslog when AUDIT_CHECKPOINT_SYSLOG is set.
    AUDIT_CHECKPOINT_DIR = _env("AUDIT_CHECKPOINT_DIR")
    AUDIT_CHECKPOINT_SYSLOG = _env("AUDIT_CHECKPOINT_SYSLOG", "") in ("1", "true", "yes")
    AUDIT_CHECKPOINT_MINUTES = _env_int("AUDIT_CHECKPOINT_MINUTES", 60)
    # PostgreSQL: `labtrack db upgrade` migrates as the owner (this URL, when set) and
    # grants the application's role (it owns nothing) only its privileges (db_roles.py).
    MIGRATION_DATABASE_URL = _env("MIGRATION_DATABASE_URL")
    DB_APP_ROLE = _env("DB_APP_ROLE")


class DevelopmentConfig(BaseConfig):
    """Local use on a laptop: SQLite under instance/, a per-machine secret."""

    ENV_NAME = "development"

    def __init__(self) -> None:
        self.SECRET_KEY = _env("SECRET_KEY") or _instance_secret()
        if not (self.AUDIT_KEYS or self.AUDIT_KEY_FILE):
            self.AUDIT_KEY_FILE = _instance_audit_key_file()
        self.AUDIT_CHECKPOINT_DIR = (self.AUDIT_CHECKPOINT_DIR
                                     or str(INSTANCE_DIR / "audit_checkpoints"))


class TestConfig(BaseConfig):
    """Used by the test suite; the database URL is supplied by the fixtures."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    # One directory per test process, so parallel runs never see each other's uploads.
    COUNTER_UPLOAD_DIR = str(Path(tempfile.gettempdir()) / f"labtrack-uploads-{os.getpid()}")
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105  (fast hashing for a quick suite)
    AUDIT_KEYS = "t1:" + "5eed" * 16  # a fixed test key; each test database gets its own
    AUDIT_KEY_FILE = None  # checkpoint directory (labtrack/audit/checkpoints.py)
    AUDIT_CHECKPOINT_DIR = None
    # Created if missing, never dropped; shared by concurrent test runs (grants are per
    # database), and named so that nothing else on the server uses it.
    DB_APP_ROLE = "labtrack_test_application"
    MIGRATION_DATABASE_URL = None
    # The suite's assertions are written in English; the Spanish tests choose Spanish.
    DEFAULT_LOCALE = "en"
    DOCUMENT_LOCALE = "en"


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
                ("LABTRACK_AUDIT_KEYS or LABTRACK_AUDIT_KEY_FILE",
                 _env("AUDIT_KEYS") or _env("AUDIT_KEY_FILE")),
                ("LABTRACK_AUDIT_CHECKPOINT_DIR", _env("AUDIT_CHECKPOINT_DIR")),
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
        self.AUDIT_KEYS, self.AUDIT_KEY_FILE = _env("AUDIT_KEYS"), _env("AUDIT_KEY_FILE")
        self.AUDIT_CHECKPOINT_DIR = _env("AUDIT_CHECKPOINT_DIR")


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


def _instance_audit_key_file() -> str:
    """A development audit key kept in instance/ (production reads its own, config above)."""
    INSTANCE_DIR.mkdir(exist_ok=True)
    path = INSTANCE_DIR / "audit_keys"
    if not path.exists():
        path.write_text(f"dev1:{os.urandom(32).hex()}\n")
        path.chmod(0o600)
    return str(path)
