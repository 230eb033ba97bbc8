"""Lab pages with the fake hub: "Open lab" (progress, placement, never overwriting, fresh
copy with backup, CPU fallback, refused profile), "Submit from lab" and its failure paths."""

# ruff: noqa: F811  (the fixtures imported from grading_support are parameters below)

from __future__ import annotations

import json
import re

import pytest

from lms.db import db
from lms.grading.models import Submission
from lms.hub import get_hub_client
from lms.hub.accounting import set_gpu_quota
from lms.hub.base import ProgressEvent
from lms.hub.lab_files import backup_name, last_progress, remember_progress
from lms.hub.models import LabSession
from tests.lms import grading_support
from tests.lms.grading_support import (  # noqa: F401  (fixtures)
    LAB1,
    blob_dir,
    enrolled,
    fast_release,
    published,
    release_bytes,
    solution_bytes,
)

PAGE = f"/courses/ai-foundations/assignments/{LAB1}"
JSON = {"Accept": "application/json"}


@pytest.fixture
def app_config(blob_dir, tmp_path):
    base = grading_support.app_config.__wrapped__(blob_dir, tmp_path)
    return base | {"WTF_CSRF_ENABLED": True, "LMS_HUB_BACKEND": "fake"}


@pytest.fixture
def hub(app):
    return get_hub_client(app)


@pytest.fixture
def learner(client, login, enrolled, make_user):
    user = enrolled(user=make_user(locale="en"))  # English messages (Korean: test_lab_i18n)
    login(client, user)
    return user


def _fields(client, url: str = PAGE) -> dict[str, str]:
    html = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token, html
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    return {"csrf_token": token.group(1), **({"idempotency_key": key.group(1)} if key else {})}


def _open(client, headers=None, follow_redirects=False, **extra):
    fields = {"csrf_token": _fields(client)["csrf_token"], **extra}
    return client.post(
        f"{PAGE}/lab", data=fields, headers=headers or {}, follow_redirects=follow_redirects
    )


def _files(hub, user) -> dict[str, bytes]:
    return hub.servers[(f"u{user.id}", "")].files


def _nb_path(published) -> str:
    return f"ai-foundations/{LAB1}/{published.assignments[0].notebooks[0]}.ipynb"


def test_assignment_page_offers_open_lab_and_submit_from_lab(client, learner):
    html = client.get(PAGE).get_data(as_text=True)
    assert 'data-testid="open-lab"' in html and 'data-testid="submit-from-lab"' in html
    assert "js/lab.js" in html and "<script>" not in html  # external script only (CSP)


def test_open_lab_starts_places_the_release_and_redirects_into_jupyterlab(
    client, learner, hub, published
):
    response = _open(client)
    assert response.status_code == 303
    path = _nb_path(published)
    assert response.location == f"{hub.settings.url}/user/u{learner.id}/lab/tree/{path}"
    files = _files(hub, learner)
    assert files[path] == release_bytes(published.assignments[0])
    note = files[f"ai-foundations/{LAB1}/SUBMIT.md"].decode()
    assert f"http://localhost{PAGE}" in note  # the way back to the portal, inside the lab
    session = db.session.scalars(db.select(LabSession)).one()
    assert session.profile == "cpu-small" and session.stopped_at is None


def test_open_lab_with_javascript_answers_json_and_progress_is_readable(client, learner, hub):
    remember_progress(learner.id, ProgressEvent(40, "Spawning server..."))
    progress = client.get("/labs/progress.json").get_json()
    assert progress == {"state": "stopped", "progress": 40, "message": "Spawning server..."}
    answer = _open(client, headers=JSON)
    assert answer.status_code == 200 and "/lab/tree/" in answer.get_json()["redirect"]
    assert last_progress(learner.id) is None  # forgotten once the start is over
    assert client.get("/labs/progress.json").get_json()["state"] == "ready"


def test_existing_notebook_is_never_overwritten_the_learner_chooses(
    client, learner, hub, published
):
    _open(client)
    path = _nb_path(published)
    mine = solution_bytes("my work")
    _files(hub, learner)[path] = mine
    again = _open(client, headers=JSON)
    assert again.get_json()["redirect"].endswith(f"{PAGE}/lab")
    assert _files(hub, learner)[path] == mine  # kept
    choice = client.get(f"{PAGE}/lab").get_data(as_text=True)
    assert 'data-testid="open-existing"' in choice and 'data-testid="fresh-copy"' in choice
    fresh = client.post(f"{PAGE}/lab/fresh", data=_fields(client, f"{PAGE}/lab"))
    assert fresh.status_code == 303 and "/lab/tree/" in fresh.location
    files = _files(hub, learner)
    assert files[path] == release_bytes(published.assignments[0])
    backups = [p for p in files if "-backup-" in p]
    assert len(backups) == 1 and files[backups[0]] == mine


def test_backup_names_keep_the_folder_and_extension():
    name = backup_name("c/a/lab.ipynb")
    assert re.fullmatch(r"c/a/lab-backup-\d{8}-\d{6}\.ipynb", name)


def test_submit_from_lab_submits_the_lab_notebook_once_per_key(client, learner, hub, published):
    _open(client)
    _files(hub, learner)[_nb_path(published)] = solution_bytes("from the lab")
    fields = _fields(client)
    first = client.post(f"{PAGE}/lab/submit", data=fields)
    second = client.post(f"{PAGE}/lab/submit", data=fields)  # double click, same key
    assert first.status_code == 303 and first.location == second.location
    submission = db.session.scalars(db.select(Submission)).one()
    assert b"from the lab" in grading_support.blob_store().get(submission.content_sha)


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("down", "not reachable"),
        ("stopped", "not running"),
        ("renamed", "renamed, moved or deleted"),
    ],
)
def test_submit_from_lab_failures_say_why_and_submit_nothing(
    client, learner, hub, published, breakage, message
):
    _open(client)
    files = _files(hub, learner)
    if breakage == "down":
        hub.is_down = True
    elif breakage == "stopped":
        hub.stop_server(f"u{learner.id}")
    else:
        files["renamed.ipynb"] = files.pop(_nb_path(published))
    fields = _fields(client)
    response = client.post(f"{PAGE}/lab/submit", data=fields, follow_redirects=True)
    assert message in response.get_data(as_text=True)
    assert db.session.scalars(db.select(Submission)).all() == []
    hub.is_down = False


def test_submit_from_lab_applies_the_upload_rules(client, learner, hub, published):
    _open(client)
    _files(hub, learner)[_nb_path(published)] = b"not a notebook"
    response = client.post(f"{PAGE}/lab/submit", data=_fields(client), follow_redirects=True)
    assert response.status_code == 200
    assert db.session.scalars(db.select(Submission)).all() == []
    assert 'class="flash flash-error"' in response.get_data(as_text=True)


def test_hub_down_on_open_is_a_clear_json_error(client, learner, hub):
    hub.is_down = True
    answer = _open(client, headers=JSON)
    assert answer.status_code == 503 and "not reachable" in answer.get_json()["error"]
    assert db.session.scalars(db.select(LabSession)).all() == []


def test_a_profile_the_course_does_not_offer_is_refused(client, learner):
    answer = _open(client, headers=JSON, profile="gpu-full")
    assert answer.status_code == 403 and answer.get_json()["code"] == "profile_not_allowed"


def test_over_gpu_quota_falls_back_to_cpu_with_a_message(client, learner, hub, published):
    course = published.course
    course.needs_gpu = True
    set_gpu_quota(None, 0, course=course)
    db.session.commit()
    response = _open(client, profile="gpu-mig-1g")
    assert response.location.endswith(f"{PAGE}/lab")
    assert hub.servers[(f"u{learner.id}", "")].profile == "cpu-small"
    page = client.get(response.location).get_data(as_text=True)
    assert "your lab starts on CPU" in page and 'data-testid="open-existing"' in page


def test_open_lab_needs_csrf_and_an_enrolment(client, make_user, login, published, hub):
    outsider = make_user()
    login(client, outsider)
    assert client.post(f"{PAGE}/lab").status_code == 400  # no CSRF token
    answer = _open(client, headers=JSON)
    assert answer.status_code == 403 and hub.servers == {}


def test_spawn_timeout_is_reported(client, learner, hub, monkeypatch):
    from lms.hub.errors import SpawnTimeout

    def slow(*_args, **_kwargs):
        raise SpawnTimeout(120)
        yield  # pragma: no cover

    monkeypatch.setattr(hub, "start_server", slow)
    answer = _open(client, headers=JSON)
    assert answer.status_code == 504 and "120" in answer.get_json()["error"]


def test_contents_errors_on_placement_are_reported(client, learner, hub, monkeypatch):
    from lms.hub.errors import ContentsError

    def refuse(_user, path, *_args, **_kwargs):
        raise ContentsError(path, 500)

    monkeypatch.setattr(hub, "put_file", refuse)
    response = _open(client, follow_redirects=True)
    assert "HTTP 500" in response.get_data(as_text=True)


def test_submit_note_is_json_free_markdown(client, learner, hub):
    _open(client)
    note = _files(hub, learner)[f"ai-foundations/{LAB1}/SUBMIT.md"]
    with pytest.raises(json.JSONDecodeError):
        json.loads(note)


def test_korean_learners_get_korean_buttons_and_messages(client, login, enrolled, make_user, hub):
    login(client, enrolled(user=make_user(locale="ko")))
    html = client.get(PAGE).get_data(as_text=True)
    assert "실습 열기" in html and "실습에서 제출" in html
    hub.is_down = True
    answer = _open(client, headers=JSON)
    assert answer.status_code == 503 and "실습" in answer.get_json()["error"]


def test_contents_api_error_on_submit_submits_nothing(client, learner, hub, monkeypatch):
    from lms.hub.errors import ContentsError

    _open(client)

    def broken(_user, path, *_args, **_kwargs):
        raise ContentsError(path, 500)

    monkeypatch.setattr(hub, "get_file", broken)
    response = client.post(f"{PAGE}/lab/submit", data=_fields(client), follow_redirects=True)
    assert "HTTP 500" in response.get_data(as_text=True)
    assert db.session.scalars(db.select(Submission)).all() == []


def test_labs_not_configured_hide_the_section_and_refuse(app, client, learner, monkeypatch):
    from lms.hub import views

    monkeypatch.setattr(views, "_lab_enabled", lambda: False)
    assert 'data-testid="open-lab"' not in client.get(PAGE).get_data(as_text=True)
    answer = _open(client, headers=JSON)
    assert answer.status_code == 503 and answer.get_json()["code"] == "labs_not_configured"
