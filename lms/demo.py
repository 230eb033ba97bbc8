"""Demo data."""

from lms.cli import make_group

demo_cli = make_group("demo", "Demo data.")
