"""Signals of the completion domain (blinker).

``completion_confirmed`` is sent after a confirmation is flushed, with ``sender`` the
``Completion`` row (course or programme). Receivers run inside the confirming request's
transaction: they may add rows (a credential) and flush, never commit; an exception they
raise aborts the confirmation. ``completion_revoked`` is sent after a revocation is flushed,
with ``sender`` the revoked ``Completion`` and ``reason`` (str) as keyword.

Connect with ``completion_confirmed.connect(receiver)`` (``receiver(completion, **extra)``).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: sent with ``sender=completion`` after a course or programme completion is confirmed
completion_confirmed = _signals.signal("completion-confirmed")
#: sent with ``sender=completion, reason=str`` after a completion is revoked
completion_revoked = _signals.signal("completion-revoked")
