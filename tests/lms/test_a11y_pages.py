"""Accessible structure of every page: language, one h1, landmarks, unique ids, and a label
for every form control (checked on the rendered HTML with the standard library parser)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest


class PageStructure(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.controls: list[dict[str, str]] = []
        self.tags: list[str] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        if tag == "html":
            self.lang = a.get("lang")
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "label" and "for" in a:
            self.label_for.add(a["for"])
        if tag in {"input", "select", "textarea"} and a.get("type") not in {"hidden", "submit"}:
            self.controls.append(a)


def _parse(html: str) -> PageStructure:
    page = PageStructure()
    page.feed(html)
    return page


@pytest.fixture
def pages(client, login, make_user, make_org, make_course, make_cohort, make_programme):
    org = make_org(slug="org")
    admin = make_user(role="admin", org=org, org_role="manager")
    course = make_course(slug="course", instructors=[admin])
    make_cohort(course)
    make_programme([course], slug="path")
    login(client, admin)
    return [
        "/catalogue",
        "/courses/course",
        "/programmes/path",
        "/dashboard",
        "/settings",
        "/teach",
        "/teach/courses/course",
        "/orgs/org",
        "/admin/users",
        f"/admin/users/{admin.id}",
        "/admin/orgs",
        "/admin/orgs/org",
        "/admin/courses/new",
        "/admin/courses/course",
        "/admin/programmes/new",
        "/admin/programmes/path",
        "/admin/audit",
        "/no-such-page",
    ]


def test_every_page_has_an_accessible_structure(client, pages):
    problems = []
    for path in pages:
        page = _parse(client.get(path).text)
        duplicates = sorted({i for i in page.ids if page.ids.count(i) > 1})
        unlabelled = [
            c.get("name") or c.get("id")
            for c in page.controls
            if c.get("id") not in page.label_for and not c.get("aria-label")
        ]
        checks = {
            "lang": page.lang in ("ko", "en"),
            "one h1": page.tags.count("h1") == 1,
            "main": "main" in page.tags and "nav" in page.tags and "header" in page.tags,
            f"duplicate ids {duplicates}": not duplicates,
            f"unlabelled controls {unlabelled}": not unlabelled,
        }
        problems += [f"{path}: {name}" for name, ok in checks.items() if not ok]
    assert not problems, "\n".join(problems)


def test_anonymous_pages_too(client):
    for path in ["/login", "/register", "/catalogue"]:
        page = _parse(client.get(path).text)
        assert page.tags.count("h1") == 1 and len(page.ids) == len(set(page.ids)), path
