"""The members pages have an accessible structure (same checks as test_a11y_pages), with
data on them: departments, members, invitations, requests to join, reports."""

from __future__ import annotations

import io

from lms.db import db
from lms.orgs import invitations, services
from tests.lms.test_a11y_pages import _parse


def _problems(path: str, html: str) -> list[str]:
    page = _parse(html)
    duplicates = sorted({i for i in page.ids if page.ids.count(i) > 1})
    unlabelled = [
        c.get("name") or c.get("id")
        for c in page.controls
        if c.get("id") not in page.label_for and not c.get("aria-label")
    ]
    checks = {
        "lang": page.lang in ("ko", "en"),
        "one h1": page.tags.count("h1") == 1,
        "main": "main" in page.tags and "nav" in page.tags,
        f"duplicate ids {duplicates}": not duplicates,
        f"unlabelled controls {unlabelled}": not unlabelled,
    }
    return [f"{path}: {name}" for name, ok in checks.items() if not ok]


def test_members_pages_are_accessible(
    client, login, make_user, make_org, make_course, make_programme
):
    org = make_org(slug="hd")
    manager = make_user(role="org_manager", org=org, org_role="manager")
    team = services.add_department(manager, org, "설계팀")
    member = make_user(org=org)
    services.move_members(manager, org, [member.id], team)
    _invitation, secret = invitations.invite(manager, org, "kim@example.com", department=team)
    invitations.request_to_join(make_user(), org)
    make_programme([make_course(slug="python")], slug="path")
    db.session.commit()
    login(client, manager)
    problems = []
    for path in (
        "/orgs/hd",
        "/orgs/hd/invitations",
        "/orgs/hd/import",
        "/orgs/hd/departments",
        "/orgs/hd/sponsor/bulk",
        "/me/organisations",
        f"/invitations/{secret}",
    ):
        problems += _problems(path, client.get(path).text)
    report = client.post(
        "/orgs/hd/import",
        data={"file": (io.BytesIO(b"email\nbad\n"), "a.csv")},
        content_type="multipart/form-data",
    )
    problems += _problems("import report", report.text)
    bulk = client.post(
        "/orgs/hd/sponsor/bulk", data={"members": [str(member.id)], "target": "programme:path"}
    )
    problems += _problems("sponsor report", bulk.text)
    link = client.post("/orgs/hd/invitations", data={"email": "lee@example.com", "role": "member"})
    problems += _problems("invitation link", link.text)
    login(client, make_user(email="kim@example.com"))
    problems += _problems("/me/organisations (invited)", client.get("/me/organisations").text)
    problems += _problems("link page (invited)", client.get(f"/invitations/{secret}").text)
    assert not problems, "\n".join(problems)
