"""The privacy pages' accessible structure (one h1, landmarks, unique ids, labelled
controls), checked like every other page in test_a11y_pages."""

from __future__ import annotations

from lms.db import db
from lms.privacy import erasure
from tests.lms.test_a11y_pages import _parse


def test_privacy_pages_have_an_accessible_structure(client, login, make_user):
    learner, admin = make_user(), make_user(role="admin")
    erasure.request_deletion(learner, "졸업")
    db.session.commit()
    problems = []
    for user, paths in (
        (learner, ["/record", "/record/print", "/settings/privacy"]),
        (admin, ["/admin/privacy/deletions", "/admin/privacy/deletions?status=all"]),
    ):
        login(client, user)
        for path in paths:
            response = client.get(path)
            page = _parse(response.text)
            duplicates = sorted({i for i in page.ids if page.ids.count(i) > 1})
            unlabelled = [
                c.get("name") or c.get("id")
                for c in page.controls
                if c.get("id") not in page.label_for and not c.get("aria-label")
            ]
            checks = {
                "200": response.status_code == 200,
                "one h1": page.tags.count("h1") == 1,
                "landmarks": {"main", "nav", "header"} <= set(page.tags),
                f"duplicate ids {duplicates}": not duplicates,
                f"unlabelled controls {unlabelled}": not unlabelled,
            }
            problems += [f"{path}: {name}" for name, ok in checks.items() if not ok]
    assert not problems, "\n".join(problems)


def test_an_unknown_status_filter_is_a_404(client, login, make_user):
    login(client, make_user(role="admin"))
    assert client.get("/admin/privacy/deletions?status=nonsense").status_code == 404
