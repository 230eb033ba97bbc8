"""``flask --app lms orgs …``."""

from lms.cli import make_group

orgs_cli = make_group("orgs", "Manage organisations.")
