"""The learner record: one person's whole history across organisations, as a page, a print
view, a JSON download and ``GET /api/v1/me/record`` — only ever their own."""

# ruff: noqa: F811  (fixtures imported from the support modules are parameters below)

from __future__ import annotations

import json

import pytest

from lms.db import db, utcnow
from lms.privacy.record import learner_record
from tests.lms.privacy_support import (  # noqa: F401  (fixtures)
    app_config,
    blob_dir,
    enrolled,
    fast_release,
    history,
    published,
)


def test_the_record_spans_every_organisation_and_stage(history):
    learner, company, _submission = history()
    record = learner_record(learner)
    assert record["format"] == "lms-learner-record" and record["person"]["name"] == "김민지"
    kinds = {(m["kind"], m["current"]) for m in record["organisations"]}
    assert kinds == {("school", False), ("company", True)}
    assert [s["segment"] for s in record["person"]["segments"]] == ["school", "worker"]
    timeline = [event["kind"] for event in record["timeline"]]
    assert {"joined", "left", "enrolled", "segment"} <= set(timeline)


def test_the_record_shows_the_counted_grade_of_each_assignment(history):
    learner, _company, submission = history()
    (course,) = learner_record(learner)["enrollments"]
    assert course["course"] == "ai-foundations"
    graded = {g["assignment"]: g for g in course["grades"]}
    lab = graded[submission.assignment_name]
    assert lab["grade"] == submission.job.result.score and lab["attempts"] == 1


def test_the_page_and_the_print_view_show_the_history(client, login, history):
    learner, _company, _submission = history()
    login(client, learner)
    page = client.get("/record").get_data(as_text=True)
    assert "울산고등학교" in page and "현대중공업" in page and 'data-testid="record-grade"' in page
    printable = client.get("/record/print").get_data(as_text=True)
    assert "김민지" in printable and "data-print" in printable


def test_the_json_download_is_the_same_record(client, login, history):
    learner, _company, _submission = history()
    login(client, learner)
    response = client.get("/record.json")
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["person"]["email"] == learner.email
    assert len(data["organisations"]) == 2


def test_the_api_returns_only_the_token_users_record(
    client, history, make_user, make_token, bearer
):
    learner, _company, _submission = history()
    other = make_user()
    response = client.get("/api/v1/me/record", headers=bearer(make_token(other)))
    assert response.status_code == 200
    assert response.json["person"]["id"] == other.id and response.json["organisations"] == []
    mine = client.get("/api/v1/me/record", headers=bearer(make_token(learner))).json
    assert mine["person"]["id"] == learner.id and len(mine["enrollments"]) == 1
    assert client.get("/api/v1/me/record").status_code == 401


def test_the_api_document_describes_the_record(client):
    document = client.get("/api/v1/openapi.json").json
    operation = document["paths"]["/api/v1/me/record"]["get"]
    assert operation["security"] == [{"bearer": []}] and "401" in operation["responses"]
    assert "LearnerRecord" in document["components"]["schemas"]


def test_pages_need_a_login(client):
    for url in ("/record", "/record/print", "/record.json", "/settings/privacy"):
        assert client.get(url).status_code == 302


def test_confirmed_completions_appear_when_that_domain_exists(history, make_user):
    models = pytest.importorskip("lms.completion.models")
    learner, _company, submission = history()
    db.session.add(
        models.Completion(
            user_id=learner.id,
            course_id=submission.course_id,
            confirmed_at=utcnow(),
            confirmed_by_id=make_user(role="instructor").id,
            qualified=True,
        )
    )
    db.session.commit()
    record = learner_record(learner)
    assert [c["slug"] for c in record["completions"]] == ["ai-foundations"]


def test_the_credentials_section_appears_when_that_domain_exists(history):
    pytest.importorskip("lms.credentials.services")
    learner, _company, _submission = history()
    assert learner_record(learner)["credentials"] == []


def test_the_skills_section_appears_when_that_domain_exists(history):
    pytest.importorskip("lms.skills.evidence")
    learner, _company, _submission = history()
    assert isinstance(learner_record(learner)["skills"], list)


def test_an_organisation_token_cannot_read_its_owners_record(client, make_user, make_org, bearer):
    tokens = pytest.importorskip("lms.reporting.tokens")
    org = make_org()
    manager = make_user(role="org_manager", org=org, org_role="manager")
    _token, secret = tokens.create_org_token(manager, org, "hr")
    db.session.commit()
    assert client.get("/api/v1/me/record", headers=bearer(secret)).status_code == 403


def test_the_pages_speak_korean_first_and_english_on_request(client, login, make_user):
    login(client, make_user())
    assert "데이터 내보내기" in client.get("/settings/privacy").get_data(as_text=True)
    client.post("/locale/en")
    page = client.get("/settings/privacy").get_data(as_text=True)
    assert "Export your data" in page and "Delete your account" in page
