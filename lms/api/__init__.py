"""JSON API v1 under /api/v1, authenticated with personal bearer tokens."""

from flask import Blueprint

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")

from lms.api import views  # noqa: E402,F401  (routes register on import)
from lms.completion import api as completion_api  # noqa: E402,F401  (issue 6 routes)
from lms.consent import api as consent_api  # noqa: E402,F401  (issue 6 routes)
from lms.credentials import api as credentials_api  # noqa: E402,F401  (issue 6 routes)
from lms.grading import api as grading_api  # noqa: E402,F401  (issue 4 routes)
from lms.orgs import api as orgs_api  # noqa: E402,F401  (issue 6 routes)
from lms.privacy import api as privacy_api  # noqa: E402,F401  (issue 6 routes)
from lms.reporting import api as reporting_api  # noqa: E402,F401  (issue 6 routes)
from lms.skills import api as skills_api  # noqa: E402,F401  (issue 6 routes)
