"""Credential pages: the learner's list and files, the public page, upload verification,
the issuer's public documents, and revocation by administrators."""

from __future__ import annotations

import io
import json

import pytest

from lms.completion.models import Completion
from lms.completion.signals import completion_confirmed
from lms.credentials.document import status_bit
from lms.credentials.models import Credential
from lms.credentials.signing import unverified_payload
from lms.db import db


@pytest.fixture
def issued(make_user, make_course):
    """A learner with one credential for a confirmed course completion."""
    learner = make_user(name="이두리", locale="ko")
    course = make_course(title_ko="AI 기초", title_en="AI foundations")
    completion = Completion(user_id=learner.id, course_id=course.id, qualified=True, criteria={})
    db.session.add(completion)
    db.session.flush()
    completion_confirmed.send(completion)
    db.session.commit()
    credential = db.session.scalars(db.select(Credential)).one()
    return learner, credential


def test_learner_sees_their_credentials(client, login, issued):
    learner, credential = issued
    login(client, learner)
    page = client.get("/me/credentials").get_data(as_text=True)
    assert "AI 기초" in page and f"/credentials/{credential.uuid}" in page


def test_learner_list_needs_login(client):
    assert client.get("/me/credentials").status_code == 302


def test_public_page_shows_a_valid_credential_without_login(client, issued):
    _learner, credential = issued
    response = client.get(f"/credentials/{credential.uuid}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-outcome="valid"' in page and "이두리" in page
    assert "share-url" not in page  # sharing and files are for the recipient


def test_public_page_says_revoked_after_an_admin_revokes(client, login, make_user, issued):
    _learner, credential = issued
    login(client, make_user(role="admin"))
    response = client.post(f"/credentials/{credential.uuid}/revoke", data={"reason": "잘못 발급됨"})
    assert response.status_code == 302
    page = client.get(f"/credentials/{credential.uuid}").get_data(as_text=True)
    assert 'data-outcome="revoked"' in page and "잘못 발급됨" in page


def test_revoking_without_a_reason_is_refused(client, login, make_user, issued):
    _learner, credential = issued
    login(client, make_user(role="admin"))
    response = client.post(f"/credentials/{credential.uuid}/revoke", data={"reason": ""})
    assert response.status_code == 422
    assert db.session.get(Credential, credential.id).revoked_at is None


def test_learner_cannot_revoke(client, login, issued):
    learner, credential = issued
    login(client, learner)
    response = client.post(f"/credentials/{credential.uuid}/revoke", data={"reason": "x"})
    assert response.status_code == 403


def test_recipient_downloads_the_signed_jwt_and_json(client, login, issued):
    learner, credential = issued
    login(client, learner)
    jwt = client.get(f"/credentials/{credential.uuid}/credential.jwt")
    assert jwt.headers["Content-Disposition"].endswith('.jwt"')
    assert jwt.get_data(as_text=True) == credential.token
    document = client.get(f"/credentials/{credential.uuid}/credential.json").get_json()
    assert document == credential.payload


def test_others_cannot_download(client, login, make_user, issued):
    _learner, credential = issued
    login(client, make_user())
    assert client.get(f"/credentials/{credential.uuid}/credential.jwt").status_code == 404


def test_uploading_the_jwt_verifies_it(client, issued):
    _learner, credential = issued
    upload = {"file": (io.BytesIO(credential.token.encode()), "badge.jwt")}
    response = client.post("/credentials/verify", data=upload)
    assert 'data-outcome="valid"' in response.get_data(as_text=True)


def test_uploading_an_edited_json_says_tampered(client, issued):
    _learner, credential = issued
    edited = {**credential.payload, "name": "가짜 학위"}
    response = client.post("/credentials/verify", data={"text": json.dumps(edited)})
    assert 'data-outcome="tampered"' in response.get_data(as_text=True)


def test_uploading_nothing_asks_for_a_file(client, app):
    response = client.post("/credentials/verify", data={"text": ""})
    assert response.status_code == 422


def test_uploading_garbage_is_not_a_credential(client, app):
    response = client.post("/credentials/verify", data={"text": "hello"})
    assert 'data-outcome="invalid"' in response.get_data(as_text=True)


def test_issuer_profile_and_jwks_are_public(client, issued):
    _learner, credential = issued
    profile = client.get("/credentials/issuer").get_json()
    assert profile["id"] == credential.payload["issuer"]["id"]
    keys = client.get("/credentials/issuer/jwks.json").get_json()["keys"]
    assert len(keys) == 1 and "d" not in keys[0]
    kid_url = keys[0]["kid"]
    one = client.get(kid_url.replace("http://127.0.0.1:5000", ""))
    assert one.status_code == 200 and one.get_json()["n"] == keys[0]["n"]


def test_status_list_is_signed_and_lists_revocations(client, login, make_user, issued):
    _learner, credential = issued
    entry = credential.payload["credentialStatus"]
    path = entry["statusListCredential"].replace("http://127.0.0.1:5000", "")
    listing = unverified_payload(client.get(path).get_data(as_text=True))
    index = int(entry["statusListIndex"])
    assert status_bit(listing["credentialSubject"]["encodedList"], index) is False
    login(client, make_user(role="admin"))
    client.post(f"/credentials/{credential.uuid}/revoke", data={"reason": "mistake"})
    listing = unverified_payload(client.get(path).get_data(as_text=True))
    assert status_bit(listing["credentialSubject"]["encodedList"], index) is True


def test_admin_list_finds_credentials_by_recipient(client, login, make_user, issued):
    login(client, make_user(role="admin"))
    page = client.get("/admin/credentials?q=이두리").get_data(as_text=True)
    assert "AI 기초" in page
    assert "AI 기초" not in client.get("/admin/credentials?q=nobody").get_data(as_text=True)


def test_admin_list_is_for_admins_only(client, login, issued):
    learner, _credential = issued
    login(client, learner)
    assert client.get("/admin/credentials").status_code == 403


def test_unknown_credential_is_404(client, app):
    assert client.get("/credentials/00000000-0000-0000-0000-000000000000").status_code == 404


def test_public_page_speaks_korean_by_default(client, issued):
    _learner, credential = issued
    page = client.get(f"/credentials/{credential.uuid}").get_data(as_text=True)
    assert "유효함: 이 플랫폼이 발급했으며 폐기되지 않았습니다." in page


def test_credential_signed_with_a_revoked_key_says_so(client, issued):
    from lms.credentials import keys

    _learner, credential = issued
    keys.rotate_key()
    keys.revoke_key(credential.issuer_key.kid)
    db.session.commit()
    page = client.get(f"/credentials/{credential.uuid}").get_data(as_text=True)
    assert 'data-outcome="unknown_key"' in page
    assert "발급 기관이 폐기한 서명 키" in page


def test_an_oversized_upload_is_refused(client, app):
    big = io.BytesIO(b"x" * (400 * 1024))
    response = client.post("/credentials/verify", data={"file": (big, "huge.jwt")})
    assert response.status_code == 413


def test_recipient_can_close_and_reopen_the_public_page(client, login, issued):
    learner, credential = issued
    url = f"/credentials/{credential.uuid}"
    login(client, learner)
    assert client.post(f"{url}/visibility", data={"public": "0"}).status_code == 302
    assert client.get(url).status_code == 200  # the recipient still sees it
    stranger = client.application.test_client()
    assert stranger.get(url).status_code == 404
    api = f"/api/v1/credentials/{credential.uuid}/verification"
    assert stranger.get(api).status_code == 404
    client.post(f"{url}/visibility", data={"public": "1"})
    assert stranger.get(url).status_code == 200


def test_only_the_recipient_changes_the_visibility(client, login, make_user, issued):
    _learner, credential = issued
    login(client, make_user(role="admin"))
    response = client.post(f"/credentials/{credential.uuid}/visibility", data={"public": "0"})
    assert response.status_code == 403
    assert db.session.get(Credential, credential.id).is_public is True
