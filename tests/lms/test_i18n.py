"""Translations: every message of lms/ is in the Korean catalogue and translated, the
compiled catalogue matches it, Korean is the default and the language switch works."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "lms" / "translations" / "ko" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]")


def _catalogue():
    with open(CATALOGUE / "messages.po", "rb") as fh:
        return read_po(fh, locale="ko")


def _extracted_ids() -> set[str]:
    """Every msgid in lms/ (code and templates), read with babel.cfg like `pybabel extract`."""
    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    ids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "lms"), method_map, options_map, keywords=KEYWORDS
    ):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def _plain_id(message) -> str:
    return message.id[0] if isinstance(message.id, (tuple, list)) else message.id


def _strings(message) -> tuple[str, ...]:
    value = message.string
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def test_every_message_in_lms_is_in_the_catalogue():
    known = {_plain_id(m) for m in _catalogue() if m.id}
    missing = sorted(_extracted_ids() - known)
    assert not missing, (
        "Run pybabel extract/update (docs/portal-web.md) and translate these:\n"
        + "\n".join(missing)
    )


def test_every_message_has_a_korean_translation():
    untranslated = []
    for message in _catalogue():
        if message.id and (not all(_strings(message)) or message.fuzzy):
            untranslated.append(_plain_id(message))
    assert not untranslated, "Untranslated or fuzzy msgids:\n" + "\n".join(untranslated)


def test_translations_keep_the_placeholders():
    wrong = []
    for message in _catalogue():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = _strings(message)
        wanted = set(PLACEHOLDER.findall(" ".join(ids))) - {"num"}
        for string in strings:
            if set(PLACEHOLDER.findall(string)) - {"num"} != wanted:
                wrong.append(f"{ids[0]!r} -> {string!r}")
    assert not wrong, "Placeholders differ:\n" + "\n".join(wrong)


def test_compiled_catalogue_matches_the_source():
    with open(CATALOGUE / "messages.mo", "rb") as fh:
        compiled = {_plain_id(m): _strings(m) for m in read_mo(fh) if m.id}
    stale = [
        _plain_id(m) for m in _catalogue() if m.id and compiled.get(_plain_id(m)) != _strings(m)
    ]
    assert not stale, "Run: pybabel compile -d lms/translations\n" + "\n".join(stale[:20])


def test_korean_is_the_default_language(client):
    html = client.get("/login").text
    assert '<html lang="ko">' in html and "로그인" in html


def test_english_switch_is_kept_in_the_session(client):
    response = client.post("/locale/en", data={"next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    html = client.get("/catalogue").text
    assert '<html lang="en">' in html and "Learn AI by doing" in html
    client.post("/locale/ko")
    assert "직접 해 보며 배우는 AI" in client.get("/catalogue").text


def test_switch_saves_the_signed_in_users_preference(client, make_user, login, app):
    user = make_user()
    login(client, user)
    client.post("/locale/en")
    assert user.locale == "en"
    other = app.test_client()  # a new session: the saved preference applies
    login(other, user)
    assert '<html lang="en">' in other.get("/dashboard").text


def test_unknown_language_is_not_found(client):
    assert client.post("/locale/fr").status_code == 404


@pytest.mark.parametrize("path", ["/no-such-page"])
def test_error_pages_follow_the_language(client, path):
    assert "페이지를 찾을 수 없음" in client.get(path).text
    client.post("/locale/en")
    assert "Page not found" in client.get(path).text
