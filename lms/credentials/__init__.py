"""Verifiable credentials (issue 6): Open Badges 3.0 credentials issued on confirmed
completion, signed as VC-JWT (RS256), with a public issuer profile, JWKS, Bitstring Status
List revocation, public verification pages and ``flask --app lms credentials verify``.

``connect_signals()`` subscribes the issuing receivers to the completion domain's signals;
the page module calls it when the app is built (it is idempotent).
"""

from __future__ import annotations

import importlib.util
import logging

logger = logging.getLogger(__name__)


def connect_signals() -> None:
    """Issue on ``completion_confirmed``, revoke on ``completion_revoked`` (when present)."""
    if importlib.util.find_spec("lms.completion.signals") is None:
        logger.warning("lms.completion.signals not found: credentials are not issued")
        return
    from lms.completion import signals
    from lms.credentials.services import on_completion_confirmed, on_completion_revoked

    signals.completion_confirmed.connect(on_completion_confirmed)
    revoked = getattr(signals, "completion_revoked", None)
    if revoked is not None:
        revoked.connect(on_completion_revoked)
