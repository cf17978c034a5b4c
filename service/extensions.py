"""Extensions created here, bound to the app in `create_app`."""

from __future__ import annotations

from typing import cast

from flask import Flask, current_app
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from werkzeug.local import LocalProxy

from service.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
# Staff logins for /admin; the user loader and unauthorised handler live in web/admin/access.py.
login_manager = LoginManager()


def current_app_object() -> Flask:
    """The app behind `current_app`, for work that outlives the context (threads, a pass)."""
    return cast("LocalProxy[Flask]", current_app)._get_current_object()
