"""``flask --app lms completion status``: who qualifies, from a shell."""

from __future__ import annotations

import pytest

from lms.completion.services import confirm_course
from lms.db import db
from tests.lms.completion_support import add_items, mark_done


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


def test_status_lists_who_qualifies_and_who_is_confirmed(
    cli, make_user, make_course, make_enrollment, make_cohort
):
    teacher = make_user(role="instructor")
    course = make_course(slug="cli-course", instructors=[teacher])
    cohort = make_cohort(course, name="A")
    items = add_items(course, 1)
    ready = make_user(email="ready@example.com")
    e_ready = make_enrollment(ready, course, cohort=cohort)
    make_enrollment(make_user(email="late@example.com"), course)
    mark_done(e_ready, items)
    confirm_course(teacher, e_ready)
    db.session.commit()

    result = cli("completion", "status", "cli-course")
    assert result.exit_code == 0
    lines = {line.split()[0]: line.split()[1:] for line in result.output.splitlines()[:2]}
    assert lines["ready@example.com"][0] == "yes"
    assert lines["late@example.com"][:2] == ["no", "progress"]
    assert "1 of 2 qualify; 1 confirmed." in result.output

    only_a = cli("completion", "status", "cli-course", "--cohort", "A", "--csv")
    assert only_a.output.splitlines()[1].startswith("ready@example.com,yes,,")
    assert "cohorts: A" in cli("completion", "status", "cli-course", "--cohort", "Z").output
    assert cli("completion", "status", "nope").exit_code == 1
