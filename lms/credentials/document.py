"""The JSON documents: an OpenBadgeCredential (OB 3.0 on the VC Data Model 2.0), the issuer
Profile, and Bitstring Status List credentials. Pure functions of their inputs, no database.

The two JSON-LD contexts are shipped in ``contexts/`` and never fetched (the platform runs
air-gapped): ``known_context`` tells whether a URL is one of them, and ``undefined_terms``
checks that every property a document uses is defined by them, which is what a JSON-LD
processor would otherwise silently drop.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXT_FILES = {VC_CONTEXT: "credentials-v2.json", OB_CONTEXT: "ob-v3p0-context-3.0.3.json"}
CONTEXT_DIR = Path(__file__).resolve().parent / "contexts"

#: Bits per status list: the 16 KiB minimum of Bitstring Status List v1.0.
STATUS_LIST_SIZE = 131_072

ISSUER_PATH = "/credentials/issuer"
JWKS_PATH = "/credentials/issuer/jwks.json"
KEY_PATH = "/credentials/issuer/keys/{kid}"
STATUS_PATH = "/credentials/status/{number}"
CREDENTIAL_PATH = "/credentials/{uuid}"


@cache
def context_document(url: str) -> dict[str, Any]:
    """The embedded JSON-LD context for ``url`` (KeyError for any other URL)."""
    return json.loads((CONTEXT_DIR / CONTEXT_FILES[url]).read_text(encoding="utf-8"))


def known_context(url: Any) -> bool:
    return isinstance(url, str) and url in CONTEXT_FILES


@dataclass(frozen=True)
class Urls:
    """Public addresses, all under the portal's base URL (``LMS_BASE_URL``)."""

    base: str

    def at(self, path: str) -> str:
        return self.base.rstrip("/") + path

    @property
    def issuer(self) -> str:
        return self.at(ISSUER_PATH)

    def key(self, kid: str) -> str:
        return self.at(KEY_PATH.format(kid=kid))

    def status_list(self, number: int) -> str:
        return self.at(STATUS_PATH.format(number=number))

    def credential(self, uuid: str) -> str:
        return self.at(CREDENTIAL_PATH.format(uuid=uuid))


def xsd_datetime(value: datetime) -> str:
    """``2026-11-21T06:00:00Z``: UTC, whole seconds (the JWT ``nbf`` has no fractions)."""
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_xsd_datetime(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def issuer_profile(urls: Urls, name: str, email: str | None = None) -> dict[str, Any]:
    """The issuer's OB 3.0 ``Profile`` (embedded in credentials and served on its own)."""
    profile: dict[str, Any] = {"id": urls.issuer, "type": ["Profile"], "name": name}
    profile["url"] = urls.base.rstrip("/") + "/"
    if email:
        profile["email"] = email
    return profile


def email_identity(email: str, salt: str) -> dict[str, Any]:
    """A salted SHA-256 of the recipient's e-mail: lets a verifier who knows the address
    check it, without publishing it."""
    digest = hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()
    return {
        "type": "IdentityObject",
        "identityType": "emailAddress",
        "hashed": True,
        "identityHash": f"sha256${digest}",
        "salt": salt,
    }


@dataclass(frozen=True)
class Achievement:
    """What was achieved: a course or a programme, as the credential describes it."""

    id: str
    name: str
    description: str
    narrative: str
    achievement_type: str
    language: str
    tags: tuple[str, ...] = ()
    image: str | None = None  # a data: URI (the badge picture)
    alignments: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Recipient:
    subject_id: str
    name: str
    email: str
    salt: str


def open_badge_credential(
    *,
    uuid: str,
    urls: Urls,
    issuer: dict[str, Any],
    recipient: Recipient,
    achievement: Achievement,
    valid_from: datetime,
    status_list: int,
    status_index: int,
) -> dict[str, Any]:
    """An unsigned OpenBadgeCredential (VC Data Model 2.0, OB 3.0 context 3.0.3)."""
    achieved: dict[str, Any] = {
        "id": achievement.id,
        "type": ["Achievement"],
        "achievementType": achievement.achievement_type,
        "name": achievement.name,
        "description": achievement.description,
        "criteria": {"narrative": achievement.narrative},
        "inLanguage": achievement.language,
    }
    if achievement.tags:
        achieved["tag"] = list(achievement.tags)
    if achievement.alignments:
        achieved["alignment"] = list(achievement.alignments)
    if achievement.image:
        achieved["image"] = {"id": achievement.image, "type": "Image", "caption": achievement.name}
    list_url = urls.status_list(status_list)
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": urls.credential(uuid),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement.name,
        "issuer": issuer,
        "validFrom": xsd_datetime(valid_from),
        "credentialSubject": {
            "id": recipient.subject_id,
            "type": ["AchievementSubject"],
            "identifier": [
                email_identity(recipient.email, recipient.salt),
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": recipient.name,
                },
            ],
            "achievement": achieved,
        },
        "credentialStatus": {
            "id": f"{list_url}#{status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(status_index),
            "statusListCredential": list_url,
        },
    }


def encode_status_bits(revoked_indexes: set[int], size: int = STATUS_LIST_SIZE) -> str:
    """The ``encodedList``: GZIP of the bitstring (index 0 = left-most bit), multibase
    base64url without padding (prefix ``u``)."""
    bits = bytearray(size // 8)
    for index in revoked_indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def status_bit(encoded_list: str, index: int) -> bool:
    """Whether bit ``index`` is set in an ``encodedList`` (ValueError when malformed)."""
    if not encoded_list.startswith("u"):
        raise ValueError("encodedList is not multibase base64url")
    data = encoded_list[1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
    if not 0 <= index < len(bits) * 8:
        raise ValueError("status index outside the list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(
    urls: Urls, issuer: dict[str, Any], number: int, revoked: set[int], now: datetime
) -> dict[str, Any]:
    """An unsigned BitstringStatusListCredential for revocation list ``number``."""
    list_url = urls.status_list(number)
    return {
        "@context": [VC_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer["id"],
        "validFrom": xsd_datetime(now),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_status_bits(revoked),
        },
    }


def jwt_claims(credential: dict[str, Any]) -> dict[str, Any]:
    """The registered claims OB 3.0's JWT proof format adds to the credential."""
    subject = credential.get("credentialSubject") or {}
    issuer = credential.get("issuer")
    claims = {
        "iss": issuer.get("id") if isinstance(issuer, dict) else issuer,
        "jti": credential.get("id"),
        "nbf": int(parse_xsd_datetime(credential["validFrom"]).timestamp()),
    }
    if isinstance(subject, dict) and subject.get("id"):
        claims["sub"] = subject["id"]
    return claims


def _terms(context: Any) -> set[str]:
    terms: set[str] = set()
    if isinstance(context, dict):
        for name, value in context.items():
            if not name.startswith("@"):
                terms.add(name)
            if isinstance(value, dict) and "@context" in value:
                terms |= _terms(value["@context"])
    return terms


@cache
def _defined_terms() -> frozenset[str]:
    terms: set[str] = set()
    for url in CONTEXT_FILES:
        terms |= _terms(context_document(url)["@context"])
    return frozenset(terms)


def undefined_terms(document: Any, jwt_claim_names: frozenset[str] = frozenset()) -> set[str]:
    """Property names in ``document`` that neither embedded context defines."""
    found: set[str] = set()
    if isinstance(document, dict):
        for name, value in document.items():
            if not name.startswith("@") and name not in _defined_terms():
                found.add(name)
            found |= undefined_terms(value)
    elif isinstance(document, list):
        for item in document:
            found |= undefined_terms(item)
    return found - jwt_claim_names
