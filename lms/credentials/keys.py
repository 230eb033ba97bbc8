"""The issuer's RS256 signing key, its public records and its rotation.

``LMS_CREDENTIALS_PRIVATE_KEY`` may hold a PEM-encoded RSA private key or the path of a file
holding one. Without it the key is generated once into ``<instance>/credentials_issuer_key.pem``
(mode 0600), as the OIDC key is. RS256 because Open Badges 3.0 makes it the one algorithm every
verifier must support. The key is read from disk each time it signs (issuing is rare), so a
rotation reaches every worker at once. Public halves are recorded in ``IssuerKey`` rows; they
are what verification trusts, never a key carried inside a credential.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from joserfc.jwk import RSAKey
from sqlalchemy import select

from lms.credentials.models import IssuerKey
from lms.db import db, utcnow
from lms.errors import Conflict, NotFound

KEY_FILE = "credentials_issuer_key.pem"
KEY_BITS = 2048
SETTING = "LMS_CREDENTIALS_PRIVATE_KEY"
ALG = "RS256"


class KeyConfigError(ValueError):
    """``LMS_CREDENTIALS_PRIVATE_KEY`` is not a usable RSA private key; the message says why."""


def _setting() -> str | None:
    return current_app.config.get(SETTING) or os.environ.get(SETTING)


def _instance_file() -> Path:
    return Path(current_app.instance_path) / KEY_FILE


def _pem() -> bytes:
    setting = _setting()
    if setting:
        text = setting.strip()
        if text.startswith("-----BEGIN"):
            return text.encode()
        if not Path(text).is_file():
            raise KeyConfigError(f"{SETTING}: no such key file {text}")
        return Path(text).read_bytes()
    path = _instance_file()
    if path.exists():
        return path.read_bytes()
    return _create_key_file(path)


def _create_key_file(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = RSAKey.generate_key(KEY_BITS, private=True).as_pem(private=True)
    try:  # O_EXCL: two workers starting together must agree on one key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return pem


def private_key() -> RSAKey:
    """The current signing key, with ``kid`` set to its JWK thumbprint."""
    pem = _pem()
    try:
        key = RSAKey.import_key(pem)
    except (ValueError, TypeError) as exc:
        raise KeyConfigError(f"{SETTING} is not an RSA key: {exc}") from None
    if not key.is_private:
        raise KeyConfigError(f"{SETTING} must be a private key")
    return RSAKey.import_key(pem, {"kid": key.thumbprint(), "use": "sig", "alg": ALG})


def _record_of(key: RSAKey) -> IssuerKey:
    record = db.session.scalar(select(IssuerKey).where(IssuerKey.kid == key.kid))
    if record is None:
        record = IssuerKey(kid=key.kid, alg=ALG, public_jwk=key.as_dict(private=False))
        db.session.add(record)
        db.session.flush()
    return record


def key_record(key: RSAKey) -> IssuerKey:
    """The ``IssuerKey`` row of ``key`` (added and flushed the first time it signs); a
    revoked key is refused (``Conflict``)."""
    record = _record_of(key)
    if record.revoked_at is not None:
        raise Conflict(
            "issuer_key_revoked",
            _l("The issuer key was revoked. Rotate the key before issuing credentials."),
        )
    return record


def find_key(kid: str) -> IssuerKey | None:
    """The recorded public key with this ``kid`` (a bare thumbprint or its key URL)."""
    thumbprint = kid.rstrip("/").rsplit("/", 1)[-1]
    return db.session.scalar(select(IssuerKey).where(IssuerKey.kid == thumbprint))


def public_key(record: IssuerKey) -> RSAKey:
    return RSAKey.import_key(record.public_jwk)


def trusted_keys() -> list[IssuerKey]:
    """Keys whose signatures count (current and retired, not revoked), newest first."""
    query = select(IssuerKey).where(IssuerKey.revoked_at.is_(None))
    return list(db.session.scalars(query.order_by(IssuerKey.created_at.desc(), IssuerKey.id)))


def jwk_for_publication(record: IssuerKey, key_url: str) -> dict[str, Any]:
    """The public JWK as published: ``kid`` is the key's URL (a URI, as OB 3.0 asks)."""
    return {**record.public_jwk, "kid": key_url, "alg": record.alg, "use": "sig"}


def rotate_key() -> IssuerKey:
    """Start signing with a new key; the old one is kept for verification (retired).

    Refused (``Conflict``) when the key comes from ``LMS_CREDENTIALS_PRIVATE_KEY``: then the
    operator replaces that setting. Flushes, never commits; the old private key file is kept
    beside the new one as ``credentials_issuer_key.<kid>.retired.pem``.
    """
    if _setting():
        raise Conflict(
            "key_from_setting",
            _l("The issuer key comes from LMS_CREDENTIALS_PRIVATE_KEY: replace that setting."),
        )
    old = _record_of(private_key())
    path = _instance_file()
    path.rename(path.with_name(f"credentials_issuer_key.{old.kid}.retired.pem"))
    new = key_record(private_key())  # generates the new file
    old.retired_at = utcnow()
    db.session.flush()
    return new


def revoke_key(kid: str) -> IssuerKey:
    """Stop trusting a (compromised) key: credentials it signed no longer verify."""
    record = find_key(kid)
    if record is None:
        raise NotFound("issuer_key_not_found", _l("No issuer key has this id."))
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        record.retired_at = record.retired_at or record.revoked_at
    db.session.flush()
    return record
