"""Issuing, listing and revoking credentials. Services flush, never commit.

Issuing is driven by the completion domain: ``on_completion_confirmed`` receives
``lms.completion.signals.completion_confirmed`` inside the confirming transaction and issues
one OpenBadgeCredential for the Completion (idempotent); ``on_completion_revoked`` revokes it.
"""

from __future__ import annotations

import logging
import secrets
import uuid as uuidlib
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.accounts.models import Role, User
from lms.audit.services import record
from lms.catalog.models import Course, Programme
from lms.credentials import keys
from lms.credentials.alignment import alignments
from lms.credentials.badge import badge_data_uri
from lms.credentials.document import (
    STATUS_LIST_SIZE,
    Achievement,
    Recipient,
    Urls,
    issuer_profile,
    open_badge_credential,
    status_list_credential,
)
from lms.credentials.models import Credential
from lms.credentials.signing import sign
from lms.db import db, utcnow
from lms.errors import Conflict, Forbidden, NotFound, ValidationError

logger = logging.getLogger(__name__)

DEFAULT_ISSUER_NAME = "AI 인재 아카데미 (AI Talent Academy)"
MAX_REASON_CHARS = 1000

NARRATIVES = {  # frozen into a signed document: data in the credential's language, not UI
    ("course", True, "ko"): "과정 「{title}」의 이수 기준(진도율, 점수, 필수 실습, 출석)을 "
    "충족하였고 강사가 이수를 확인하였습니다.",
    ("course", True, "en"): "Met the completion policy of the course “{title}” (progress, "
    "score, required labs, attendance), and an instructor confirmed the completion.",
    ("course", False, "ko"): "강사가 과정 「{title}」의 이수를 확인하였습니다.",
    ("course", False, "en"): "An instructor confirmed the completion of the course “{title}”.",
    ("programme", True, "ko"): "프로그램 「{title}」의 모든 과정을 이수하였고 강사가 "
    "확인하였습니다.",
    ("programme", True, "en"): "Completed every course of the programme “{title}”, "
    "confirmed by an instructor.",
}


BADGE_CAPTIONS = {
    ("course", "ko"): "과정 이수",
    ("course", "en"): "Course completed",
    ("programme", "ko"): "프로그램 이수",
    ("programme", "en"): "Programme completed",
}


def urls() -> Urls:
    return Urls(current_app.config.get("LMS_BASE_URL") or "http://127.0.0.1:5000")


def issuer() -> dict[str, Any]:
    """The issuer Profile embedded in every credential (``LMS_CREDENTIALS_ISSUER_NAME``)."""
    config = current_app.config
    name = config.get("LMS_CREDENTIALS_ISSUER_NAME") or DEFAULT_ISSUER_NAME
    return issuer_profile(urls(), name, config.get("LMS_CREDENTIALS_ISSUER_EMAIL"))


def credentials_for(user: User) -> list[Credential]:
    """Every credential issued to ``user``, revoked ones included, newest first."""
    query = select(Credential).where(Credential.user_id == user.id)
    return list(db.session.scalars(query.order_by(Credential.issued_at.desc(), Credential.id)))


def get_credential(uuid: str) -> Credential:
    """The credential with this public id (``NotFound`` otherwise); anyone may look."""
    found = db.session.scalar(select(Credential).where(Credential.uuid == uuid))
    if found is None:
        raise NotFound("credential_not_found", _l("No credential has this address."))
    return found


def visible_credential(actor: Any, uuid: str) -> Credential:
    """The credential behind a public link: ``NotFound`` when there is none, or when its
    recipient closed the page and ``actor`` is neither the recipient nor an admin."""
    credential = get_credential(uuid)
    if not credential.is_public and not can_manage(actor, credential):
        raise NotFound(
            "credential_private", _l("The recipient has made this credential's page private.")
        )
    return credential


def set_public(actor: User, credential: Credential, public: bool) -> Credential:
    """Open or close the public page of ``credential`` (its recipient only). Audited;
    flushes. The signed file keeps verifying with the issuer's keys and status list."""
    if credential.user_id != actor.id:
        raise Forbidden("forbidden", _l("Only the recipient can change who sees this page."))
    if credential.is_public != public:
        credential.is_public = public
        record("credential.visibility", actor, credential, {"public": public})
        db.session.flush()
    return credential


def can_manage(actor: Any, credential: Credential) -> bool:
    """The recipient and administrators may download a credential's files."""
    if actor is None or not getattr(actor, "is_authenticated", True):
        return False
    return actor.role == Role.ADMIN or credential.user_id == actor.id


def owned_credential(actor: User, uuid: str) -> Credential:
    """The credential if ``actor`` is its recipient or an admin, else ``NotFound``."""
    credential = get_credential(uuid)
    if not can_manage(actor, credential):
        raise NotFound("credential_not_found", _l("No credential has this address."))
    return credential


def _live_credential(completion_id: int) -> Credential | None:
    query = select(Credential).where(
        Credential.completion_id == completion_id, Credential.revoked_at.is_(None)
    )
    return db.session.scalar(query)


def _next_status_slot() -> tuple[int, int]:
    """A random free bit of the current list (random, so an index says nothing about the
    order of issue); a list is half-filled at most, then the next one starts. Checks a few
    random candidates per query instead of loading the list (fast when it is large)."""
    current = db.session.scalar(select(func.max(Credential.status_list))) or 1
    used = db.session.scalar(
        select(func.count(Credential.id)).where(Credential.status_list == current)
    )
    if (used or 0) >= STATUS_LIST_SIZE // 2:
        current += 1
    while True:
        candidates = {secrets.randbelow(STATUS_LIST_SIZE) for _ in range(8)}
        taken = set(
            db.session.scalars(
                select(Credential.status_index).where(
                    Credential.status_list == current, Credential.status_index.in_(candidates)
                )
            )
        )
        free = sorted(candidates - taken)
        if free:
            return current, secrets.choice(free)


def _achievement(completion: Any, locale: str) -> tuple[Achievement, tuple[str, str]]:
    """What the completion achieved, in ``locale``, and its (Korean, English) titles."""
    if completion.course_id is not None:
        target: Any = db.session.get(Course, completion.course_id)
        kind, path, achievement_type = "course", "/courses/", "CertificateOfCompletion"
        tags = tuple(str(s) for s in (target.skills or []))
        courses = [target]
    else:
        target = db.session.get(Programme, completion.programme_id)
        kind, path, achievement_type = "programme", "/programmes/", "LearningProgram"
        tags = ()
        courses = [entry.course for entry in target.entries]
    title = target.title(locale)
    # A programme needs every course confirmed, whatever else was overridden.
    qualified = bool(getattr(completion, "qualified", True)) or kind == "programme"
    description = getattr(target, f"description_{locale}", "") or target.description_ko or title
    achievement = Achievement(
        id=urls().at(path + target.slug),
        name=title,
        description=description[:2000],
        narrative=NARRATIVES[(kind, qualified, locale)].format(title=title),
        achievement_type=achievement_type,
        language=locale,
        tags=tags,
        image=badge_data_uri(title, BADGE_CAPTIONS[(kind, locale)], str(target.track)),
        alignments=alignments(courses, urls(), locale),
    )
    return achievement, (target.title_ko, target.title_en)


def _signed_credential(user: User, achievement: Achievement) -> Credential:
    """A new, signed (not yet added) credential of ``achievement`` for ``user``."""
    key = keys.private_key()
    key_row = keys.key_record(key)
    status_list, status_index = _next_status_slot()
    public_id = str(uuidlib.uuid4())
    issued_at = utcnow().replace(microsecond=0)
    recipient = Recipient(
        subject_id=f"urn:uuid:{uuidlib.uuid4()}",
        name=user.name,
        email=user.email,
        salt=secrets.token_hex(8),
    )
    payload = open_badge_credential(
        uuid=public_id,
        urls=urls(),
        issuer=issuer(),
        recipient=recipient,
        achievement=achievement,
        valid_from=issued_at,
        status_list=status_list,
        status_index=status_index,
    )
    return Credential(
        uuid=public_id,
        user_id=user.id,
        issuer_key=key_row,
        recipient_name=user.name,
        issued_at=issued_at,
        status_list=status_list,
        status_index=status_index,
        payload=payload,
        token=sign(payload, key, urls().key(key.kid)),
    )


def issue_for_completion(completion: Any) -> Credential | None:
    """Issue the OpenBadgeCredential of a confirmed ``completion`` (course or programme).

    Idempotent: returns the credential already issued for it, if not revoked. Returns None
    for a revoked completion. Signs with the current issuer key (created on first use),
    adds the row, audits, flushes; never commits. Raises ``Conflict`` when the key was revoked.
    """
    if getattr(completion, "revoked_at", None) is not None:
        return None
    existing = _live_credential(completion.id)
    if existing is not None:
        return existing
    user = db.session.get(User, completion.user_id)
    default = current_app.config.get("LMS_DEFAULT_LOCALE") or "ko"
    locale = next(c for c in (user.locale, default, "ko") if c in ("ko", "en"))
    achievement, (title_ko, title_en) = _achievement(completion, locale)
    credential = _signed_credential(user, achievement)
    credential.completion_id = completion.id
    credential.course_id = completion.course_id
    credential.programme_id = getattr(completion, "programme_id", None)
    credential.achievement_ko, credential.achievement_en = title_ko, title_en
    db.session.add(credential)
    db.session.flush()
    confirmer = db.session.get(User, getattr(completion, "confirmed_by_id", None) or 0)
    record("credential.issued", confirmer, credential, {"completion_id": completion.id})
    logger.info("credential %s issued for completion %s", credential.id, completion.id)
    return credential


def revoke(actor: User, credential: Credential, reason: str) -> Credential:
    """Revoke ``credential`` with a reason (administrators only). Audited; flushes.

    Raises ``Forbidden`` for non-admins, ``ValidationError`` (field ``reason``) without a
    reason or with one over 1000 characters, ``Conflict`` when it is already revoked.
    """
    if actor.role != Role.ADMIN:
        raise Forbidden("forbidden", _l("Only administrators can revoke credentials."))
    return _revoke(actor, credential, reason)


def _revoke(actor: User | None, credential: Credential, reason: str) -> Credential:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            "reason_required", _l("Give the reason for revoking this credential."), "reason"
        )
    if len(reason) > MAX_REASON_CHARS:
        raise ValidationError(
            "reason_too_long", _l("The reason is too long (1000 characters at most)."), "reason"
        )
    if credential.revoked_at is not None:
        raise Conflict("already_revoked", _l("This credential was already revoked."))
    credential.revoked_at = utcnow()
    credential.revoked_by_id = getattr(actor, "id", None)
    credential.revocation_reason = reason
    record("credential.revoked", actor, credential, {"reason": reason})
    db.session.flush()
    return credential


def revoke_for_completion(completion: Any, reason: str | None) -> list[Credential]:
    """Revoke the credentials of a completion that was itself revoked (no admin check: the
    completion domain already checked who may revoke it)."""
    live = db.session.scalars(
        select(Credential).where(
            Credential.completion_id == completion.id, Credential.revoked_at.is_(None)
        )
    )
    text = f"Completion revoked: {reason}" if reason else "Completion revoked"
    actor = db.session.get(User, getattr(completion, "revoked_by_id", None) or 0)
    return [_revoke(actor, credential, text[:MAX_REASON_CHARS]) for credential in live]


def signed_status_list(number: int) -> str:
    """The signed BitstringStatusListCredential (compact JWS) of list ``number``."""
    if number < 1:
        raise NotFound("status_list_not_found", _l("No such status list."))
    revoked = set(
        db.session.scalars(
            select(Credential.status_index).where(
                Credential.status_list == number, Credential.revoked_at.is_not(None)
            )
        )
    )
    key = keys.private_key()
    keys.key_record(key)
    document = status_list_credential(urls(), issuer(), number, revoked, utcnow())
    return sign(document, key, urls().key(key.kid))


def on_completion_confirmed(completion: Any, **_extra: Any) -> None:
    """Receiver of ``completion_confirmed``: issue the credential in the same transaction."""
    issue_for_completion(completion)


def on_completion_revoked(completion: Any, reason: str | None = None, **_extra: Any) -> None:
    """Receiver of ``completion_revoked``: revoke what was issued for it."""
    revoke_for_completion(completion, reason)
