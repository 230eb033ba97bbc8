"""Skills through API v1: the framework (public) and the caller's own profile (token)."""

# ruff: noqa: F811  (the fixtures imported from grading_support are parameters below)

from __future__ import annotations

from lms.db import db
from lms.grading.results import collect_once, dispatch_job
from lms.grading.submission import submit
from lms.publishing.services import current_assignment
from lms.skills.mapping import sync_course
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


def test_the_framework_is_listed_and_filtered(client, app):
    load_starter()
    db.session.commit()
    body = client.get("/api/v1/skills?track=semiconductors&level=4").json
    assert [u["code"] for u in body["items"]] == ["SEM-RCA-02"]
    assert body["items"][0]["name"]["ko"] == "공정 데이터 연계 근본 원인 분석"
    assert body["items"][0]["parent"] == "SEM-YLD-01"
    bad = client.get("/api/v1/skills?level=9")
    assert bad.status_code == 422 and bad.json["error"]["field"] == "level"
    assert client.get("/api/v1/skills?track=space").status_code == 422


def test_my_skills_need_a_token(client, app):
    assert client.get("/api/v1/me/skills").status_code == 401


def test_my_skills_list_the_evidence_of_the_tokens_owner(
    client, published, enrolled, make_token, bearer, make_user
):
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
    body = client.get("/api/v1/me/skills", headers=bearer(make_token(learner))).json
    python = next(s for s in body["items"] if s["code"] == "AIF-PY-01")
    assert python["state"] == "achieved" and python["score"] == 1
    cells = {e["cell"]: e for e in python["evidence"]}
    assert cells["test_to_kelvin"]["submission_url"] == f"/api/v1/submissions/{submission.id}"
    other = client.get("/api/v1/me/skills", headers=bearer(make_token(make_user()))).json
    assert other == {"items": []}
