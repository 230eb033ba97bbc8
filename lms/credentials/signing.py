"""VC-JWT, as Open Badges 3.0's "JSON Web Token Proof Format" (VC Data Model 2.0 form).

The compact JWS has the header ``{"alg": "RS256", "kid": <key URL>, "typ": "JWT"}`` (no
other header is allowed) and the credential itself as payload, with ``iss`` = issuer.id,
``jti`` = id, ``nbf`` = validFrom and ``sub`` = credentialSubject.id added. Verification here
is pure: the caller passes how to find a trusted public key by ``kid`` and how to look up
revocation, so the same code serves the web pages, the CLI (database or exported files) and
the tests.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from lms.credentials.document import OB_CONTEXT, VC_CONTEXT, jwt_claims, parse_xsd_datetime

ALG = "RS256"
ENVELOPE_PREFIX = "data:application/vc+jwt,"


class Outcome(enum.StrEnum):
    """The verdict, from best to worst; the CLI's exit status follows it."""

    VALID = "valid"
    REVOKED = "revoked"
    TAMPERED = "tampered"  # signature does not match, or differs from the signed record
    UNKNOWN_KEY = "unknown_key"  # not signed by a key this issuer trusts
    INVALID = "invalid"  # not a well-formed OpenBadgeCredential


@dataclass
class Status:
    revoked: bool
    revoked_at: datetime | None = None
    reason: str | None = None


@dataclass
class Verification:
    """What verifying one credential found. ``credential`` is the decoded payload when the
    signature was checked (or the upload when it could be parsed), for display."""

    outcome: Outcome
    problems: list[str] = field(default_factory=list)
    credential: dict[str, Any] | None = None
    kid: str | None = None
    status: Status | None = None

    @property
    def is_valid(self) -> bool:
        return self.outcome == Outcome.VALID


KeyFinder = Callable[[str], RSAKey | None]
StatusFinder = Callable[[dict[str, Any]], Status | None]


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same bytes for the same JSON value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(credential: dict[str, Any], key: RSAKey, kid_url: str) -> str:
    """The compact JWS of ``credential`` (its JWT claims added) signed with ``key``."""
    payload = {**credential, **jwt_claims(credential)}
    header = {"alg": ALG, "kid": kid_url, "typ": "JWT"}
    return jws.serialize_compact(header, canonical_json(payload), key, algorithms=[ALG])


def envelope(token: str) -> dict[str, Any]:
    """The VC 2.0 ``EnvelopedVerifiableCredential`` carrying ``token`` as JSON."""
    return {
        "@context": VC_CONTEXT,
        "id": ENVELOPE_PREFIX + token,
        "type": "EnvelopedVerifiableCredential",
    }


def _b64json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def read_header(token: str) -> dict[str, Any] | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header = _b64json(parts[0])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return header if isinstance(header, dict) else None


def unverified_payload(token: str) -> dict[str, Any] | None:
    """The payload without checking anything (to show what a tampered file claims)."""
    try:
        payload = _b64json(token.split(".")[1])
    except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


def verify_token(
    token: str, find_key: KeyFinder, find_status: StatusFinder, now: datetime
) -> Verification:
    """Verify a compact JWS OpenBadgeCredential: header, trusted key, signature, the JWT
    claims against the credential, its shape, then its revocation status."""
    header = read_header(token.strip())
    if header is None:
        return Verification(Outcome.INVALID, ["not_jws"])
    kid = header.get("kid")
    if header.get("alg") != ALG or not isinstance(kid, str) or set(header) - {"alg", "kid", "typ"}:
        return Verification(Outcome.INVALID, ["bad_header"], unverified_payload(token), kid)
    key = find_key(kid)
    if key is None:
        return Verification(Outcome.UNKNOWN_KEY, ["unknown_key"], unverified_payload(token), kid)
    try:
        payload = json.loads(jws.deserialize_compact(token.strip(), key, algorithms=[ALG]).payload)
    except (JoseError, ValueError):
        return Verification(Outcome.TAMPERED, ["bad_signature"], unverified_payload(token), kid)
    problems = credential_problems(payload, now)
    if problems:
        return Verification(Outcome.INVALID, problems, payload, kid)
    status = find_status(payload)
    outcome = Outcome.REVOKED if status is not None and status.revoked else Outcome.VALID
    return Verification(outcome, [], payload, kid, status)


def credential_problems(payload: Any, now: datetime) -> list[str]:
    """Why ``payload`` is not a valid OB 3.0 credential with matching JWT claims ([] = ok)."""
    if not isinstance(payload, dict):
        return ["not_object"]
    problems = []
    context = payload.get("@context")
    if not isinstance(context, list) or context[:1] != [VC_CONTEXT] or OB_CONTEXT not in context:
        problems.append("context")
    if "OpenBadgeCredential" not in (payload.get("type") or []):
        problems.append("type")
    try:
        expected = jwt_claims(payload)
    except (KeyError, ValueError, TypeError, AttributeError):
        return [*problems, "valid_from"]
    for claim, value in expected.items():
        if payload.get(claim) != value:
            problems.append(f"claim_{claim}")
    if "sub" not in expected:
        problems.append("claim_sub")
    if parse_xsd_datetime(payload["validFrom"]) > now:
        problems.append("not_yet_valid")
    if payload.get("validUntil") and parse_xsd_datetime(payload["validUntil"]) <= now:
        problems.append("expired")
    return problems


def token_from_upload(text: str) -> tuple[str | None, dict[str, Any] | None]:
    """Split an upload into (compact JWS, None) or (None, JSON credential).

    Accepts a bare JWS, a VC 2.0 ``EnvelopedVerifiableCredential``, or a plain credential
    JSON; raises ValueError when it is none of these.
    """
    text = text.strip().lstrip("\ufeff")
    if not text.startswith("{"):
        if read_header(text) is None:
            raise ValueError("not a credential")
        return text, None
    document = json.loads(text)
    if not isinstance(document, dict):
        raise ValueError("not a credential")
    enveloped = document.get("id")
    if isinstance(enveloped, str) and enveloped.startswith(ENVELOPE_PREFIX):
        return enveloped[len(ENVELOPE_PREFIX) :], None
    return None, document
