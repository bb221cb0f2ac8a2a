"""Alembic environment for LabTrack, driven by Flask-Migrate."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def get_engine():
    """The owner's connection when one is configured (LABTRACK_MIGRATION_DATABASE_URL),
    else the application's own (SQLite, or a single-role development set-up)."""
    owner_url = current_app.config.get("MIGRATION_DATABASE_URL")
    if owner_url:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        return create_engine(owner_url, poolclass=NullPool)
    return target_db.engine


config.set_main_option(
    "sqlalchemy.url", get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
)


def run_migrations_offline():
    """Emit SQL to the script output instead of running it."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_db.metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run the migrations against the app's database."""

    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    conf_args.setdefault("process_revision_directives", process_revision_directives)

    with get_engine().connect() as connection:
        context.configure(connection=connection, target_metadata=target_db.metadata, **conf_args)
        with context.begin_transaction():
            context.run_migrations()
            # The application's role owns nothing and gets only its privileges (db_roles.py).
            from labtrack.db_roles import set_up_app_role

            set_up_app_role(connection, current_app.config.get("DB_APP_ROLE"))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
