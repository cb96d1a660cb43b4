"""Builds the `LOGGING` dict from the LOG_* settings."""


def build_logging_config(*, level, sinks, **options):
    """Console-only for now; the file, database and cloud sinks are added next."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
        "root": {"level": level, "handlers": ["console"]},
    }
