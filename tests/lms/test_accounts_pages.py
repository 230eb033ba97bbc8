"""Account pages: sign up, log in and out, settings, password, segment and API tokens."""

from __future__ import annotations

from sqlalchemy import select

from lms.accounts.models import ApiToken, Segment, User
from lms.db import db
from lms.orgs.models import JoinRequest, Membership

STRONG = "Garden-lamp-42"


def _register(client, **overrides):
    data = {
        "name": "김하늘",
        "email": "haneul@example.com",
        "password": STRONG,
        "password_confirm": STRONG,
        "segment": "university",
        "organisation": "",
    }
    data.update(overrides)
    return client.post("/register", data=data)


def test_register_creates_the_account_and_logs_in(client):
    response = _register(client)
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "haneul@example.com"))
    assert user.name == "김하늘" and user.segment == Segment.UNIVERSITY
    assert client.get("/settings").status_code == 200


def test_register_with_an_organisation_asks_to_join_without_a_membership(client, make_org):
    org = make_org(slug="ulsan-univ", kind="university")
    response = _register(client, organisation="ulsan-univ")
    assert response.headers["Location"].endswith("/me/organisations")
    user = db.session.scalar(select(User).where(User.email == "haneul@example.com"))
    assert db.session.scalar(select(Membership).where(Membership.user_id == user.id)) is None
    request = db.session.scalar(select(JoinRequest).where(JoinRequest.user_id == user.id))
    assert (request.org_id, request.status) == (org.id, "pending")


def test_duplicate_email_is_refused_with_a_korean_message(client, make_user):
    make_user(email="haneul@example.com")
    response = _register(client, email="HANEUL@example.com")
    assert response.status_code == 200
    assert "이 이메일 주소로 가입한 계정이 이미 있습니다." in response.text
    assert db.session.scalar(select(User).where(User.name == "김하늘")) is None


def test_weak_password_is_refused_next_to_the_field(client):
    response = _register(client, password="short1!", password_confirm="short1!")
    assert 'aria-invalid="true"' in response.text
    assert "비밀번호는 10자 이상이어야 합니다." in response.text
    assert db.session.scalar(select(User)) is None


def test_weak_password_message_in_english(client):
    client.post("/locale/en")
    response = _register(
        client, password="alllowercaseletters", password_confirm="alllowercaseletters"
    )
    assert "The password must mix letters with digits or symbols." in response.text


def test_mismatched_passwords_are_refused(client):
    response = _register(client, password_confirm="Other-lamp-42")
    assert "비밀번호가 서로 다릅니다." in response.text


def test_login_and_logout(client, make_user, password):
    user = make_user(email="learner@example.com", name="이수민")
    response = client.post("/login", data={"email": "learner@example.com", "password": password})
    assert response.status_code == 302
    assert "이수민" in client.get("/settings").text
    assert client.post("/logout").status_code == 302
    assert client.get("/settings").status_code == 302  # back to the login page
    assert user.is_active


def test_login_with_a_wrong_password_says_so(client, make_user):
    make_user(email="learner@example.com")
    response = client.post(
        "/login", data={"email": "learner@example.com", "password": "nope-nope-1"}
    )
    assert response.status_code == 200
    assert "이메일 또는 비밀번호가 올바르지 않습니다." in response.text


def test_login_redirects_only_to_local_pages(client, make_user, password):
    make_user(email="learner@example.com")
    response = client.post(
        "/login?next=https://evil.example/x",
        data={"email": "learner@example.com", "password": password},
    )
    assert "evil.example" not in response.headers["Location"]


def test_logout_needs_post(client, make_user, login):
    login(client, make_user())
    response = client.get("/logout")
    assert response.status_code == 405
    assert "허용되지 않는" in response.text


def test_settings_needs_login(client):
    response = client.get("/settings")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_profile_saves_name_language_and_timezone(client, make_user, login):
    user = make_user()
    login(client, user)
    response = client.post(
        "/settings", data={"name": "New Name", "locale": "en", "timezone": "Europe/Berlin"}
    )
    assert response.status_code == 302
    assert (user.name, user.locale, user.timezone) == ("New Name", "en", "Europe/Berlin")
    assert '<html lang="en">' in client.get("/settings").text


def test_profile_refuses_an_unknown_timezone(client, make_user, login):
    user = make_user()
    login(client, user)
    response = client.post("/settings", data={"name": "X", "locale": "ko", "timezone": "Mars/Base"})
    assert response.status_code == 422
    assert user.timezone is None


def test_segment_change_keeps_history(client, make_user, login):
    user = make_user(segment="university")
    login(client, user)
    assert client.post("/settings/segment", data={"segment": "worker"}).status_code == 302
    assert [c.segment for c in user.segments] == [Segment.UNIVERSITY, Segment.WORKER]


def test_password_change_needs_the_current_password(client, make_user, login, password):
    user = make_user()
    login(client, user)
    old_hash = user.password_hash
    data = {
        "current_password": "wrong-one-1",
        "new_password": STRONG,
        "new_password_confirm": STRONG,
    }
    response = client.post("/settings/password", data=data)
    assert response.status_code == 422
    assert "현재 비밀번호가 올바르지 않습니다." in response.text
    data["current_password"] = password
    assert client.post("/settings/password", data=data).status_code == 302
    db.session.refresh(user)
    assert user.password_hash != old_hash


def test_password_change_applies_the_policy(client, make_user, login, password):
    login(client, make_user())
    data = {"current_password": password, "new_password": "abc", "new_password_confirm": "abc"}
    response = client.post("/settings/password", data=data)
    assert response.status_code == 422
    assert "비밀번호는 10자 이상이어야 합니다." in response.text


def test_token_is_shown_once_listed_and_revoked(client, make_user, login):
    user = make_user()
    login(client, user)
    response = client.post("/settings/tokens", data={"token-name": "notebook sync"})
    assert response.status_code == 201
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    secret_start = token.prefix
    assert secret_start in response.text and 'data-testid="new-token"' in response.text
    listing = client.get("/settings").text
    assert "notebook sync" in listing and 'data-testid="new-token"' not in listing
    assert client.post(f"/settings/tokens/{token.id}/revoke").status_code == 302
    db.session.refresh(token)
    assert token.revoked_at is not None


def test_revoking_someone_elses_token_is_not_found(client, make_user, make_token, login):
    owner = make_user()
    make_token(owner)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == owner.id))
    login(client, make_user())
    response = client.post(f"/settings/tokens/{token.id}/revoke")
    assert response.status_code == 404
    db.session.refresh(token)
    assert token.revoked_at is None


def test_language_chosen_before_login_is_kept(client, make_user, password):
    make_user(email="learner@example.com")
    client.post("/locale/en")
    client.post("/login", data={"email": "learner@example.com", "password": password})
    assert '<html lang="en">' in client.get("/settings").text


def test_home_sends_visitors_to_the_catalogue_and_members_to_their_dashboard(
    client, make_user, login
):
    assert client.get("/").headers["Location"].endswith("/catalogue")
    login(client, make_user())
    assert client.get("/").headers["Location"].endswith("/dashboard")


def test_locked_account_is_told_to_wait(client, make_user, password):
    make_user(email="learner@example.com")
    for _ in range(5):
        client.post("/login", data={"email": "learner@example.com", "password": "Wrong-pass-1"})
    response = client.post("/login", data={"email": "learner@example.com", "password": password})
    assert response.status_code == 200
    assert "로그인 실패가 너무 많습니다. 몇 분 뒤 다시 시도하세요." in response.text
    assert client.get("/settings").status_code == 302  # still not logged in
