"""Credentials: issued on confirmed completion, signed, verified; tampering and revocation."""

from __future__ import annotations

import base64
import json

import pytest

from lms.audit.models import AuditEvent
from lms.completion.models import Completion
from lms.completion.signals import completion_confirmed, completion_revoked
from lms.credentials import keys, services
from lms.credentials.document import (
    OB_CONTEXT,
    VC_CONTEXT,
    encode_status_bits,
    status_bit,
    undefined_terms,
)
from lms.credentials.models import Credential, IssuerKey
from lms.credentials.signing import Outcome, read_header
from lms.credentials.verification import verify_record, verify_text
from lms.db import db
from lms.errors import Conflict, Forbidden, ValidationError


@pytest.fixture
def confirm(make_user, make_course):
    """``confirm(user=None, course=None, qualified=True)`` → a confirmed Completion, the
    signal sent as the completion domain sends it (after the flush), committed."""

    def factory(user=None, course=None, qualified=True):
        user = user or make_user(name="김하나")
        course = course or make_course(title_ko="스마트 팩토리 AI", title_en="Smart factory AI")
        completion = Completion(
            user_id=user.id,
            course_id=course.id,
            qualified=qualified,
            override_reason=None if qualified else "attended a make-up session",
            criteria={},
        )
        db.session.add(completion)
        db.session.flush()
        completion_confirmed.send(completion)
        db.session.commit()
        return completion

    return factory


def _only_credential() -> Credential:
    return db.session.scalars(db.select(Credential)).one()


def _b64(part: dict) -> str:
    raw = json.dumps(part, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_confirmed_completion_issues_a_signed_open_badge(confirm):
    completion = confirm()
    credential = _only_credential()
    vc = credential.payload
    assert credential.completion_id == completion.id
    assert vc["@context"] == [VC_CONTEXT, OB_CONTEXT]
    assert vc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert vc["credentialSubject"]["achievement"]["name"] == "스마트 팩토리 AI"
    assert vc["credentialStatus"]["type"] == "BitstringStatusListEntry"
    assert credential.recipient_name == "김하나"
    header = read_header(credential.token)
    assert header["alg"] == "RS256" and header["kid"].endswith(credential.issuer_key.kid)
    assert undefined_terms(vc) == set()


def test_jwt_claims_mirror_the_credential(confirm):
    confirm()
    credential = _only_credential()
    result = verify_record(credential)
    assert result.outcome == Outcome.VALID
    payload = result.credential
    assert payload["iss"] == payload["issuer"]["id"]
    assert payload["jti"] == payload["id"]
    assert payload["sub"] == payload["credentialSubject"]["id"]


def test_recipient_email_is_hashed_with_a_salt(confirm, make_user):
    user = make_user(email="hana@example.com")
    confirm(user=user)
    identities = _only_credential().payload["credentialSubject"]["identifier"]
    email = next(i for i in identities if i["identityType"] == "emailAddress")
    assert email["hashed"] is True and "hana@example.com" not in json.dumps(identities)


def test_issuing_is_idempotent_per_completion(confirm):
    completion = confirm()
    again = services.issue_for_completion(completion)
    assert again.id == _only_credential().id


def test_issued_credential_verifies_from_an_upload(confirm):
    confirm()
    credential = _only_credential()
    assert verify_text(credential.token).outcome == Outcome.VALID
    assert verify_text(json.dumps(credential.payload)).outcome == Outcome.VALID


def test_tampered_payload_fails_verification(confirm):
    confirm()
    header, payload, signature = _only_credential().token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["credentialSubject"]["identifier"][1]["identityHash"] = "다른 사람"
    forged = ".".join([header, _b64(claims), signature])
    result = verify_text(forged)
    assert result.outcome == Outcome.TAMPERED
    assert result.problems == ["bad_signature"]


def test_tampered_json_download_fails_verification(confirm):
    confirm()
    document = dict(_only_credential().payload)
    document["name"] = "박사 학위"
    assert verify_text(json.dumps(document)).outcome == Outcome.TAMPERED


def test_altered_database_record_shows_as_tampered(confirm):
    confirm()
    credential = _only_credential()
    credential.payload = {**credential.payload, "name": "altered"}
    db.session.commit()
    assert verify_record(credential).outcome == Outcome.TAMPERED


def test_credential_signed_by_a_foreign_key_is_not_trusted(confirm):
    from joserfc.jwk import RSAKey

    from lms.credentials.signing import sign

    confirm()
    stranger = RSAKey.generate_key(2048, private=True, parameters={"kid": "stranger"})
    forged = sign(_only_credential().payload, stranger, "https://evil.example/keys/stranger")
    assert verify_text(forged).outcome == Outcome.UNKNOWN_KEY


def test_revoked_credential_verifies_as_revoked(confirm, make_user):
    confirm()
    admin = make_user(role="admin")
    credential = _only_credential()
    services.revoke(admin, credential, "issued by mistake")
    db.session.commit()
    result = verify_text(credential.token)
    assert result.outcome == Outcome.REVOKED
    assert result.status.reason == "issued by mistake"
    event = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "credential.revoked")
    ).one()
    assert event.actor_id == admin.id and event.object_id == str(credential.id)


def test_revoking_needs_an_admin_and_a_reason(confirm, make_user):
    confirm()
    credential = _only_credential()
    with pytest.raises(Forbidden):
        services.revoke(make_user(role="instructor"), credential, "no")
    with pytest.raises(ValidationError):
        services.revoke(make_user(role="admin"), credential, "   ")
    assert credential.revoked_at is None


def test_revoking_twice_is_refused(confirm, make_user):
    confirm()
    admin, credential = make_user(role="admin"), _only_credential()
    services.revoke(admin, credential, "mistake")
    with pytest.raises(Conflict):
        services.revoke(admin, credential, "again")


def test_revoked_completion_revokes_its_credential(confirm):
    completion = confirm()
    completion_revoked.send(completion, reason="plagiarism found")
    db.session.commit()
    credential = _only_credential()
    assert credential.is_revoked and "plagiarism found" in credential.revocation_reason


def test_override_completion_says_an_instructor_confirmed_it(confirm):
    confirm(qualified=False)
    narrative = _only_credential().payload["credentialSubject"]["achievement"]["criteria"]
    assert narrative["narrative"].startswith("강사가")


def test_status_list_sets_only_the_revoked_bits():
    encoded = encode_status_bits({0, 9, 131_071})
    assert [status_bit(encoded, i) for i in (0, 1, 8, 9, 131_071)] == [
        True,
        False,
        False,
        True,
        True,
    ]


def test_signed_status_list_shows_the_revocation(confirm, make_user):
    from lms.credentials.verification import database_key, status_list_finder

    confirm()
    credential = _only_credential()
    find = status_list_finder(services.signed_status_list(1), database_key)
    assert find(credential.payload).revoked is False
    services.revoke(make_user(role="admin"), credential, "mistake")
    find = status_list_finder(services.signed_status_list(1), database_key)
    assert find(credential.payload).revoked is True


def test_rotated_key_keeps_old_credentials_valid(confirm, make_user, make_course):
    confirm()
    old = _only_credential()
    new_key = keys.rotate_key()
    db.session.commit()
    confirm(course=make_course())
    newest = db.session.scalars(db.select(Credential).order_by(Credential.id.desc())).first()
    assert newest.issuer_key_id == new_key.id != old.issuer_key_id
    assert verify_record(old).outcome == Outcome.VALID
    assert verify_record(newest).outcome == Outcome.VALID


def test_revoked_key_no_longer_verifies_what_it_signed(confirm):
    confirm()
    credential = _only_credential()
    keys.rotate_key()
    keys.revoke_key(credential.issuer_key.kid)
    db.session.commit()
    assert verify_record(credential).outcome == Outcome.UNKNOWN_KEY
    assert db.session.get(IssuerKey, credential.issuer_key_id).retired_at is not None


def test_credentials_for_lists_only_the_users_own(confirm, make_user):
    mine, other = make_user(), make_user()
    confirm(user=mine)
    confirm(user=other)
    assert [c.user_id for c in services.credentials_for(mine)] == [mine.id]


def test_confirming_through_the_completion_service_issues_and_revoking_revokes(
    make_user, make_course, make_enrollment
):
    from lms.completion import services as completion_services

    instructor = make_user(role="instructor")
    learner = make_user()
    course = make_course(instructors=[instructor])
    enrollment = make_enrollment(learner, course)
    completion = completion_services.confirm_course(
        instructor, enrollment, override_reason="finished the labs offline"
    )
    db.session.commit()
    credential = _only_credential()
    assert credential.completion_id == completion.id and credential.user_id == learner.id
    completion_services.revoke(instructor, completion, "confirmed the wrong person")
    db.session.commit()
    assert verify_record(credential).outcome == Outcome.REVOKED


def test_programme_completion_is_a_learning_program(make_user, make_course, make_programme):
    learner = make_user()
    programme = make_programme(courses=[make_course()])
    completion = Completion(
        user_id=learner.id, programme_id=programme.id, qualified=True, criteria={}
    )
    db.session.add(completion)
    db.session.flush()
    completion_confirmed.send(completion)
    db.session.commit()
    achievement = _only_credential().payload["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "LearningProgram"
    assert achievement["id"].endswith(f"/programmes/{programme.slug}")


def test_demo_data_gives_the_demo_learner_one_valid_credential(app):
    from lms.accounts.services import get_user_by_email
    from lms.demo import load_demo

    load_demo()
    db.session.commit()
    load_demo()  # idempotent: no second credential
    db.session.commit()
    learner = get_user_by_email("learner@demo.local")
    [credential] = services.credentials_for(learner)
    assert verify_record(credential).outcome == Outcome.VALID


def test_the_badge_picture_is_embedded_and_escaped(confirm, make_course):
    import base64

    confirm(course=make_course(title_ko="<script>AI</script> & 데이터"))
    image = _only_credential().payload["credentialSubject"]["achievement"]["image"]
    assert image["type"] == "Image" and image["id"].startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(image["id"].split(",", 1)[1]).decode()
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "과정 이수" in svg


def test_the_achievement_aligns_to_the_courses_competency_units(confirm, make_course):
    from lms.skills.mapping import add_mapping
    from lms.skills.services import load_starter

    load_starter()
    course = make_course()
    add_mapping(None, course, "AIF-PY-01")
    db.session.commit()
    confirm(course=course)
    achievement = _only_credential().payload["credentialSubject"]["achievement"]
    [alignment] = achievement["alignment"]
    assert alignment["targetCode"] == "AIF-PY-01"
    assert alignment["targetUrl"].endswith("/skills/units/AIF-PY-01")
    assert undefined_terms(_only_credential().payload) == set()
