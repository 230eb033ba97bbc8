"""Web security: CSRF on every form, security headers, cookie flags, rate-limited login,
and friendly translated error pages (never a traceback)."""

from __future__ import annotations

import re

import pytest

from lms.extensions import limiter

PAGES = ["/catalogue", "/login", "/register", "/courses/python", "/programmes/path"]


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True, "LMS_LOGIN_RATE_LIMIT": "3 per minute"}


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def catalogue(make_course, make_programme):
    course = make_course(slug="python")
    make_programme([course], slug="path")


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_form_without_csrf_token_gets_the_400_page(client, make_user, password):
    make_user(email="a@example.com")
    response = client.post("/login", data={"email": "a@example.com", "password": password})
    assert response.status_code == 400
    assert "양식이 만료되었거나 이 사이트에서 보낸 것이 아닙니다." in response.text
    assert "Traceback" not in response.text


def test_form_with_its_csrf_token_works(client, make_user, password):
    make_user(email="a@example.com")
    token = _token(client.get("/login").text)
    data = {"email": "a@example.com", "password": password, "csrf_token": token}
    assert client.post("/login", data=data).status_code == 302


def test_language_switch_and_logout_need_the_token(client, make_user, login):
    assert client.post("/locale/en").status_code == 400
    login(client, make_user())
    assert client.post("/logout").status_code == 400
    token = _token(client.get("/catalogue").text)
    assert client.post("/locale/en", data={"csrf_token": token}).status_code == 302


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("path", [*PAGES, "/no-such-page", "/api/v1/programs"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("path", PAGES)
def test_pages_have_no_inline_script_or_style(client, path):
    html = client.get(path).text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\sstyle=", html), "inline style attribute"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert "<style" not in html


def test_pages_are_not_cached_but_assets_may_be(client):
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    assert client.get("/static/css/app.css").headers.get("Cache-Control") != "no-store"


def test_session_cookie_is_http_only_and_same_site(client, make_user, password):
    make_user(email="a@example.com")
    token = _token(client.get("/login").text)
    response = client.post(
        "/login", data={"email": "a@example.com", "password": password, "csrf_token": token}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_too_many_logins_get_a_translated_429(client, make_user):
    make_user(email="a@example.com")
    for _ in range(3):
        token = _token(client.get("/login").text)
        data = {"email": "a@example.com", "password": "wrong-pass-1", "csrf_token": token}
        assert client.post("/login", data=data).status_code == 200
    token = _token(client.get("/login").text)
    data = {"email": "a@example.com", "password": "wrong-pass-1", "csrf_token": token}
    response = client.post("/login", data=data)
    assert response.status_code == 429
    assert "로그인 시도가 너무 많았습니다" in response.text
    assert client.get("/login").status_code == 200  # the page itself stays readable


def test_wrong_method_gets_the_405_page(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "허용되지 않는 요청" in response.text


def test_too_large_body_gets_the_413_page(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/login", data={"email": "x" * 5000, "password": "y"})
    assert response.status_code == 413
    assert "파일이 너무 큼" in response.text


def test_unexpected_error_gets_a_friendly_500_page(app, client):
    def boom():
        raise RuntimeError("secret internal detail")

    app.add_url_rule("/boom", "boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom")
    assert response.status_code == 500
    assert "문제가 발생했습니다" in response.text
    assert "secret internal detail" not in response.text and "Traceback" not in response.text


def test_language_switch_never_redirects_off_site(client):
    token = _token(client.get("/catalogue").text)
    for target in ["https://evil.example/", "//evil.example/x", "/\\evil.example"]:
        response = client.post("/locale/en", data={"csrf_token": token, "next": target})
        assert response.headers["Location"] == "/"
    response = client.post("/locale/en", data={"csrf_token": token, "next": "/catalogue?x=1"})
    assert response.headers["Location"] == "/catalogue?x=1"


def test_https_responses_ask_for_https_next_time(client):
    assert "Strict-Transport-Security" not in client.get("/catalogue").headers
    secure = client.get("/catalogue", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
