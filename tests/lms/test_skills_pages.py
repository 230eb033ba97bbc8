"""The skills pages: the framework, CSV import (admins), My skills with evidence links that
only the right people can open, a learner's profile for their instructors, and the course
mapping page for course staff."""

# ruff: noqa: F811  (the fixtures imported from grading_support are parameters below)

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from lms.catalog.models import CourseInstructor
from lms.db import db
from lms.grading.results import collect_once, dispatch_job
from lms.grading.submission import submit
from lms.publishing.services import current_assignment
from lms.skills.mapping import sync_course
from lms.skills.models import CompetencyUnit, MappingSource, SkillMapping
from lms.skills.services import load_starter
from tests.lms.grading_support import (  # noqa: F401  (fixtures)
    LAB1,
    app_config,
    blob_dir,
    enrolled,
    fast_release,
    package_copy,
    published,
    solution_bytes,
)

CSV = (
    "code,name_ko,name_en,level,track\n"
    "SF-ROB-01,로봇 비전 기초,Robot vision basics,1,smart_factory\n"
)


@pytest.fixture
def graded_learner(published, enrolled):
    load_starter()
    sync_course(None, published.course)
    db.session.commit()
    learner = enrolled()
    submission = submit(learner, current_assignment(published.course, LAB1), solution_bytes())
    db.session.commit()
    dispatch_job(submission.job)
    db.session.commit()
    collect_once()
    db.session.commit()
    return learner, submission


def _english(client):
    with client.session_transaction() as session:
        session["locale"] = "en"


def _instructor(make_user, course):
    user = make_user(role="instructor")
    db.session.add(CourseInstructor(course_id=course.id, user_id=user.id))
    db.session.commit()
    return user


def test_the_framework_is_browsable_in_korean_and_english(client, app):
    load_starter()
    db.session.commit()
    page = client.get("/skills?track=smart_healthcare")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "SH-ECG-01" in html and "AIF-PY-01<" not in html
    assert "심전도 R-peak 검출" in html
    korean = client.get("/skills/units/SH-ECG-01").get_data(as_text=True)
    assert "<h1>SH-ECG-01 · 심전도 R-peak 검출</h1>" in korean and "수준" in korean
    _english(client)
    english = client.get("/skills/units/SH-ECG-01").get_data(as_text=True)
    assert "<h1>SH-ECG-01 · ECG R-peak detection</h1>" in english and "Level" in english
    assert client.get("/skills/units/NO-SUCH-01").status_code == 404


def test_admins_check_then_import_a_csv(client, login, make_user):
    login(client, make_user(role="admin"))
    data = {
        "file": (io.BytesIO(CSV.encode("cp949")), "units.csv"),
        "encoding": "auto",
        "check": "1",
    }
    page = client.post("/skills/import", data=data, content_type="multipart/form-data")
    assert page.status_code == 200 and "cp949" in page.get_data(as_text=True)
    assert db.session.scalar(select(CompetencyUnit)) is None
    data = {"file": (io.BytesIO(CSV.encode("utf-8-sig")), "units.csv"), "encoding": "auto"}
    page = client.post("/skills/import", data=data, content_type="multipart/form-data")
    assert page.status_code == 200
    assert db.session.scalar(select(CompetencyUnit.name_ko)) == "로봇 비전 기초"


def test_a_bad_csv_shows_the_rows_to_fix_and_imports_nothing(client, login, make_user):
    login(client, make_user(role="admin"))
    bad = CSV + "SF-ROB-02,,Nameless,9,smart_factory\n"
    data = {"file": (io.BytesIO(bad.encode()), "units.csv"), "encoding": "utf-8"}
    page = client.post("/skills/import", data=data, content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and 'data-testid="problems"' in html
    assert "<td>3</td>" in html and db.session.scalar(select(CompetencyUnit)) is None


def test_only_admins_import_or_load_the_starter(client, login, make_user):
    login(client, make_user(role="instructor"))
    assert client.get("/skills/import").status_code == 403
    assert client.post("/skills/starter").status_code == 403
    login(client, make_user(role="admin"))
    assert client.post("/skills/starter").status_code == 302
    assert db.session.scalar(select(CompetencyUnit).where(CompetencyUnit.code == "AIF-PY-01"))


def test_my_skills_show_achieved_units_with_links_to_the_evidence(client, login, graded_learner):
    learner, submission = graded_learner
    login(client, learner)
    html = client.get("/me/skills").get_data(as_text=True)
    assert 'data-testid="skill-AIF-PY-01"' in html and 'data-testid="skills-chart"' in html
    assert f"/submissions/{submission.id}" in html
    assert client.get(f"/submissions/{submission.id}").status_code == 200


def test_the_course_instructor_sees_the_learners_profile_others_do_not(
    client, login, make_user, graded_learner, published
):
    learner, submission = graded_learner
    teacher = _instructor(make_user, published.course)
    login(client, teacher)
    page = client.get(f"/skills/people/{learner.id}")
    assert page.status_code == 200 and f"/submissions/{submission.id}" in page.get_data(
        as_text=True
    )
    for outsider in (make_user(), make_user(role="instructor"), make_user(role="org_manager")):
        login(client, outsider)
        assert client.get(f"/skills/people/{learner.id}").status_code == 404
        assert client.get(f"/submissions/{submission.id}").status_code == 404
    login(client, make_user(role="admin"))
    assert client.get(f"/skills/people/{learner.id}").status_code == 200


def test_course_staff_map_a_cell_and_remove_it(client, login, make_user, published):
    load_starter()
    db.session.commit()
    course = published.course
    login(client, _instructor(make_user, course))
    assert f"/courses/{course.slug}/skills" in client.get("/skills").get_data(as_text=True)
    page = client.get(f"/courses/{course.slug}/skills")
    assert page.status_code == 200 and f"{LAB1}::test_zscore" in page.get_data(as_text=True)
    form = {"code": "AIF-ML-01", "target": f"{LAB1}::test_zscore", "weight": "2"}
    assert client.post(f"/courses/{course.slug}/skills", data=form).status_code == 302
    manual = select(SkillMapping).where(SkillMapping.source == MappingSource.MANUAL)
    mapping = db.session.scalar(manual)
    assert (mapping.cell_id, mapping.weight, mapping.source) == (
        "test_zscore",
        2,
        MappingSource.MANUAL,
    )
    _english(client)
    again = client.post(f"/courses/{course.slug}/skills", data=form)
    assert again.status_code == 422 and "already mapped" in again.get_data(as_text=True)
    unknown = client.post(f"/courses/{course.slug}/skills", data={**form, "code": "ZZ-NO-01"})
    assert unknown.status_code == 422
    assert client.post(f"/courses/{course.slug}/skills/{mapping.id}/delete").status_code == 302
    assert db.session.scalar(manual) is None


def test_syncing_from_the_package_keeps_staff_mappings(client, login, make_user, published):
    load_starter()
    db.session.commit()
    course = published.course
    login(client, _instructor(make_user, course))
    client.post(
        f"/courses/{course.slug}/skills", data={"code": "AIF-ML-01", "target": LAB1, "weight": "1"}
    )
    assert client.post(f"/courses/{course.slug}/skills/sync").status_code == 302
    client.post(f"/courses/{course.slug}/skills/sync")
    sources = list(db.session.scalars(select(SkillMapping.source)))
    assert sources.count(MappingSource.MANUAL) == 1 and sources.count(MappingSource.PACKAGE) == 11


def test_learners_see_a_courses_skills_but_cannot_change_them(client, login, make_user, published):
    load_starter()
    sync_course(None, published.course)
    db.session.commit()
    course = published.course
    login(client, make_user())
    assert 'data-testid="taught-courses"' not in client.get("/skills").get_data(as_text=True)
    page = client.get(f"/courses/{course.slug}/skills")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "AIF-PY-01" in html and "mapping-form" not in html
    assert client.post(f"/courses/{course.slug}/skills/sync").status_code == 403
    mapping_id = db.session.scalar(select(SkillMapping.id))
    assert client.post(f"/courses/{course.slug}/skills/{mapping_id}/delete").status_code == 403


def test_skills_pages_are_accessible_and_have_no_inline_code(
    client, login, make_user, graded_learner, published
):
    from tests.lms.test_a11y_pages import _parse

    learner, _submission = graded_learner
    admin = make_user(role="admin")
    db.session.add(CourseInstructor(course_id=published.course.id, user_id=admin.id))
    db.session.commit()
    login(client, admin)
    paths = [
        "/skills",
        "/skills?track=smart_factory&level=2&q=QI",
        "/skills/units/AIF-PY-01",
        "/skills/import",
        "/me/skills",
        f"/skills/people/{learner.id}",
        f"/courses/{published.course.slug}/skills",
    ]
    for path in paths:
        response = client.get(path)
        html = response.get_data(as_text=True)
        page = _parse(html)
        unlabelled = [
            c.get("name")
            for c in page.controls
            if c.get("id") not in page.label_for and not c.get("aria-label")
        ]
        assert response.status_code == 200, path
        assert page.tags.count("h1") == 1 and len(page.ids) == len(set(page.ids)), path
        assert not unlabelled and "main" in page.tags, (path, unlabelled)
        assert " style=" not in html and "<script>" not in html, path


def test_anonymous_visitors_see_the_framework_but_no_profile(client, app):
    assert client.get("/skills").status_code == 200
    for path in ("/me/skills", "/skills/import", "/skills/people/1"):
        assert client.get(path).status_code == 302, path
    assert client.post("/skills/starter").status_code == 302


def test_a_unit_page_does_not_name_draft_courses(client, app, make_course):
    from lms.skills.mapping import add_mapping

    load_starter()
    add_mapping(None, make_course(title_ko="공개 과정"), "AIF-ML-01")
    add_mapping(None, make_course(title_ko="비공개 초안", is_published=False), "AIF-ML-01")
    db.session.commit()
    html = client.get("/skills/units/AIF-ML-01").get_data(as_text=True)
    assert "공개 과정" in html and "비공개 초안" not in html
