"""The provider's RS256 signing key and its public JWKS.

``LMS_OIDC_PRIVATE_KEY`` may hold a PEM-encoded RSA private key, or the path of a file that
holds one. Without it the key is generated once and kept in
``<instance>/oidc_private_key.pem`` (mode 0600), so tokens stay verifiable across restarts.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import current_app
from joserfc.jwk import RSAKey

KEY_FILE = "oidc_private_key.pem"
KEY_BITS = 2048


class KeyConfigError(ValueError):
    """``LMS_OIDC_PRIVATE_KEY`` is not a usable RSA private key; the message says why."""


def load_key_text(setting: str | None, instance_path: Path) -> bytes:
    """The PEM text from the setting (PEM or path), else from the instance file (created)."""
    if setting:
        text = setting.strip()
        if text.startswith("-----BEGIN"):
            return text.encode()
        path = Path(text)
        if not path.is_file():
            raise KeyConfigError(f"LMS_OIDC_PRIVATE_KEY: no such key file {path}")
        return path.read_bytes()
    return _instance_key(instance_path)


def _instance_key(instance_path: Path) -> bytes:
    path = instance_path / KEY_FILE
    if path.exists():
        return path.read_bytes()
    instance_path.mkdir(parents=True, exist_ok=True)
    pem = RSAKey.generate_key(KEY_BITS, private=True).as_pem(private=True)
    try:  # O_EXCL: two workers starting together must agree on one key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return pem


def parse_private_key(pem: bytes) -> RSAKey:
    """Import an RSA private key with its ``kid`` set to the JWK thumbprint."""
    try:
        key = RSAKey.import_key(pem)
    except (ValueError, TypeError) as exc:
        raise KeyConfigError(f"LMS_OIDC_PRIVATE_KEY is not an RSA key: {exc}") from None
    if not key.is_private:
        raise KeyConfigError("LMS_OIDC_PRIVATE_KEY must be a private key")
    return RSAKey.import_key(pem, {"kid": key.thumbprint(), "use": "sig", "alg": "RS256"})


def signing_key() -> RSAKey:
    """The app's signing key (loaded once per app)."""
    return current_app.extensions["lms_oidc_key"]


def load_signing_key(config: dict[str, Any], instance_path: Path) -> RSAKey:
    setting = config.get("LMS_OIDC_PRIVATE_KEY") or os.environ.get("LMS_OIDC_PRIVATE_KEY")
    return parse_private_key(load_key_text(setting, instance_path))


def public_jwks() -> dict[str, Any]:
    """The JSON Web Key Set with the public half of the signing key."""
    return {"keys": [signing_key().as_dict(private=False)]}
