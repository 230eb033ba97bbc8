"""Making an export outside the request that asked for it (a thread of the web process).

If the process stops first, the export stays pending and ``flask --app lms privacy
process`` (run it from cron or a timer) finishes it.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app

from lms.db import db
from lms.privacy.export import build_export
from lms.privacy.models import DataExport

logger = logging.getLogger(__name__)


def build_in_background(export_id: int) -> threading.Thread:
    """Start a daemon thread that builds export ``export_id`` and commits."""
    app = current_app._get_current_object()
    thread = threading.Thread(
        target=_run, args=(app, export_id), name=f"export-{export_id}", daemon=True
    )
    thread.start()
    return thread


def _run(app: Flask, export_id: int) -> None:
    with app.app_context():
        try:
            export = db.session.get(DataExport, export_id)
            if export is not None:
                build_export(export)
                db.session.commit()
        except Exception:
            db.session.rollback()
            logger.exception("background export %s failed", export_id)
        finally:
            db.session.remove()
