"""Flask extension objects, created once and bound to each app in ``create_app``."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from lms.db import MIGRATIONS_DIR, db

migrate = Migrate(directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)

__all__ = ["babel", "csrf", "db", "limiter", "login_manager", "migrate", "load_models"]


def model_modules() -> list[str]:
    """Every ``lms.<domain>.models`` module, found by looking (new domains need no edit)."""
    import lms

    names = []
    for module in sorted(pkgutil.iter_modules(lms.__path__), key=lambda m: m.name):
        if module.ispkg and importlib.util.find_spec(f"lms.{module.name}.models") is not None:
            names.append(f"lms.{module.name}.models")
    return names


def load_models() -> None:
    """Import every model module so ``db.metadata`` knows all tables (migrations and the
    models-match-migrations test depend on it)."""
    for name in model_modules():
        importlib.import_module(name)
