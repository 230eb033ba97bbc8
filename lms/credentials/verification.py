"""Verifying credentials against this issuer's records, or fully offline against exported
files (a JWKS and a status list credential). Read-only: nothing here writes.
"""

from __future__ import annotations

import json
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from sqlalchemy import select

from lms.credentials import keys
from lms.credentials.document import status_bit
from lms.credentials.models import Credential
from lms.credentials.signing import (
    ALG,
    KeyFinder,
    Outcome,
    Status,
    StatusFinder,
    Verification,
    canonical_json,
    read_header,
    token_from_upload,
    verify_token,
)
from lms.db import db, utcnow

#: JWT claims a decoded JSON may carry beside the credential's own properties.
JWT_CLAIMS = frozenset({"iss", "jti", "nbf", "sub", "exp"})


def database_key(kid: str) -> RSAKey | None:
    """A trusted (not revoked) recorded issuer key for ``kid``."""
    found = keys.find_key(kid)
    return keys.public_key(found) if found is not None and found.is_trusted else None


def record_for(credential: dict[str, Any]) -> Credential | None:
    """The issued record a credential JSON speaks of (by its ``id``), if this issuer has it."""
    public_id = str(credential.get("id") or "").rstrip("/").rsplit("/", 1)[-1]
    if not public_id:
        return None
    return db.session.scalar(select(Credential).where(Credential.uuid == public_id))


def database_status(credential: dict[str, Any]) -> Status | None:
    """Revocation as the issuer's records say (None: this issuer has no such record)."""
    found = record_for(credential)
    if found is None:
        return None
    return Status(found.is_revoked, found.revoked_at, found.revocation_reason)


def _with_database(token: str) -> Verification:
    result = verify_token(token, database_key, database_status, utcnow())
    if result.outcome == Outcome.UNKNOWN_KEY and result.kid:
        known = keys.find_key(result.kid)
        if known is not None and not known.is_trusted:
            result.problems = ["key_revoked"]
    if result.outcome == Outcome.VALID and result.status is None:
        result.problems = ["status_unknown"]  # signed by us, but no record of it here
    return result


def verify_record(credential: Credential) -> Verification:
    """Verify a stored credential as the public page shows it: its token's signature and
    claims, that the stored JSON is what was signed, and its revocation."""
    result = _with_database(credential.token)
    if result.credential is not None and result.outcome in (Outcome.VALID, Outcome.REVOKED):
        signed = {k: v for k, v in result.credential.items() if k not in JWT_CLAIMS}
        if canonical_json(signed) != canonical_json(credential.payload):
            return Verification(Outcome.TAMPERED, ["record_altered"], credential.payload)
    return result


def verify_text(text: str) -> Verification:
    """Verify an uploaded credential: a compact JWS, an ``EnvelopedVerifiableCredential``,
    or the plain JSON downloaded from this site (checked against the signed record)."""
    try:
        token, document = token_from_upload(text)
    except ValueError:
        return Verification(Outcome.INVALID, ["not_credential"])
    if token is not None:
        return _with_database(token)
    found = record_for(document or {})
    if found is None:
        return Verification(Outcome.INVALID, ["json_unknown"], document)
    uploaded = {k: v for k, v in (document or {}).items() if k not in JWT_CLAIMS}
    if canonical_json(uploaded) != canonical_json(found.payload):
        return Verification(Outcome.TAMPERED, ["json_differs"], document)
    return verify_record(found)


def jwks_key_finder(jwks: dict[str, Any]) -> KeyFinder:
    """A key finder over a JWKS document (as served at /credentials/issuer/jwks.json);
    ``ValueError`` when it holds something other than RSA public keys."""
    by_kid: dict[str, RSAKey] = {}
    for jwk in jwks.get("keys", []):
        try:
            key = RSAKey.import_key({k: v for k, v in jwk.items() if k != "kid"})
        except (JoseError, ValueError, TypeError):
            raise ValueError("the JWKS holds a key that is not an RSA public key") from None
        by_kid[str(jwk.get("kid"))] = key
        by_kid[key.thumbprint()] = key

    def find(kid: str) -> RSAKey | None:
        return by_kid.get(kid) or by_kid.get(kid.rstrip("/").rsplit("/", 1)[-1])

    return find


def status_list_finder(status_token: str, find_key: KeyFinder) -> StatusFinder:
    """A status finder over an exported, signed status list credential (``ValueError`` when
    the list itself does not verify)."""
    listing = signed_status_list_payload(status_token, find_key)
    encoded = listing["credentialSubject"]["encodedList"]

    def find(credential: dict[str, Any]) -> Status | None:
        entry = credential.get("credentialStatus") or {}
        if entry.get("statusListCredential") != listing["id"]:
            return None  # another list than the one given: status unknown
        return Status(status_bit(encoded, int(entry["statusListIndex"])))

    return find


def signed_status_list_payload(token: str, find_key: KeyFinder) -> dict[str, Any]:
    """The payload of a signed BitstringStatusListCredential, after checking its signature."""
    key = find_key(str((read_header(token.strip()) or {}).get("kid") or ""))
    if key is None:
        raise ValueError("the status list is not signed by a trusted key")
    try:
        signed = jws.deserialize_compact(token.strip(), key, algorithms=[ALG])
        payload = json.loads(signed.payload)
    except (JoseError, ValueError):
        raise ValueError("the status list's signature does not match") from None
    if "BitstringStatusListCredential" not in payload.get("type", []):
        raise ValueError("not a BitstringStatusListCredential")
    return payload
