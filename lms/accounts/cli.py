"""``flask --app lms users …`` and ``tokens …``."""

from lms.cli import make_group

users_cli = make_group("users", "Manage user accounts.")
tokens_cli = make_group("tokens", "Manage personal API tokens.")
