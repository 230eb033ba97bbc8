"""Flask extension objects, created once and bound to each app in ``create_app``."""

from __future__ import annotations

import importlib

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from lms.db import MIGRATIONS_DIR, db

# Every module with models; imported before the metadata is used (migrations, create_app).
MODEL_MODULES = (
    "lms.accounts.models",
    "lms.orgs.models",
    "lms.catalog.models",
    "lms.audit.models",
)

migrate = Migrate(directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)

__all__ = ["babel", "csrf", "db", "limiter", "login_manager", "migrate", "load_models"]


def load_models() -> None:
    """Import every model module so ``db.metadata`` knows all tables."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
