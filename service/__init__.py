"""The Flask application factory."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from service import config


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the app: settings from the environment, or only from `test_config` if given.

    A test config reads no environment variable and no `.env` file (a developer's `.env`
    must not change what tests see); what it leaves out gets the local default.
    """
    if test_config is None:
        app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH") or None)
        os.makedirs(app.instance_path, exist_ok=True)
        app.config.from_mapping(config.from_environment(app.instance_path))
    else:
        app = Flask(__name__, instance_path=test_config.get("INSTANCE_PATH") or None)
        os.makedirs(app.instance_path, exist_ok=True)
        defaults = {"SECRET_KEY": str(test_config.get("SECRET_KEY") or "")}
        app.config.from_mapping(config.read(defaults, app.instance_path))
        app.config.from_mapping(test_config)
    if warning := config.placeholder_warning(app.config):
        app.logger.warning(warning)
    if proxies := app.config["TRUSTED_PROXIES"]:
        # Rate limits and consent records need the client's address, not the proxy's.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    # Browsers send the session cookie (the admin login) only over HTTPS when the site is HTTPS.
    app.config.setdefault("SESSION_COOKIE_SECURE", False)
    if not (test_config and "SESSION_COOKIE_SECURE" in test_config):
        app.config["SESSION_COOKIE_SECURE"] = app.config["BASE_URL"].startswith("https://")

    from service import cli, extensions, web
    from service.delivery import database  # noqa: F401 - SQLite: WAL and busy_timeout on connect

    extensions.db.init_app(app)
    extensions.migrate.init_app(
        app, extensions.db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"),
        render_as_batch=True,
    )
    extensions.csrf.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    return app
