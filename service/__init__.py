"""The Flask application factory."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from service import config


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the app: settings from the environment, unless tests pass their own."""
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH") or None)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    app.config.setdefault("OUTBOX_DIR", os.path.join(app.instance_path, "outbox"))
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
    extensions.limiter.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    return app
