"""Errors of the lab (JupyterHub) client, with messages learners can act on."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.errors import DomainError


class HubError(DomainError):
    """Something went wrong talking to the lab service (502)."""

    status = 502
    default_code = "hub_error"


class HubUnavailable(HubError):
    status = 503
    default_code = "hub_unavailable"

    def __init__(self) -> None:
        super().__init__(
            message=_l("The lab service is not reachable right now. Try again in a minute.")
        )


class HubMisconfigured(HubError):
    default_code = "hub_misconfigured"

    def __init__(self) -> None:
        super().__init__(
            message=_l("The portal may not use the lab service (check LMS_HUB_API_TOKEN).")
        )


class SpawnTimeout(HubError):
    status = 504
    default_code = "spawn_timeout"

    def __init__(self, seconds: float) -> None:
        super().__init__(
            message=_l("Your lab did not start within %(s)d seconds. Try again.", s=int(seconds))
        )


class SpawnFailed(HubError):
    default_code = "spawn_failed"

    def __init__(self, reason: str) -> None:
        super().__init__(message=_l("Your lab could not start: %(reason)s", reason=reason))


class ProfileNotAllowed(HubError):
    status = 403
    default_code = "profile_not_allowed"

    def __init__(self, profile: str) -> None:
        super().__init__(
            message=_l("Your courses do not include the lab profile %(p)s.", p=profile)
        )


class ServerNotRunning(HubError):
    status = 409
    default_code = "server_not_running"

    def __init__(self) -> None:
        super().__init__(
            message=_l("Your lab is not running. Open the lab again; your files are kept.")
        )


class LabFileMissing(HubError):
    status = 404
    default_code = "lab_file_missing"

    def __init__(self, path: str) -> None:
        super().__init__(
            message=_l("%(path)s is not in your lab. Was it renamed, moved or deleted?", path=path)
        )


class LabFileExists(HubError):
    status = 409
    default_code = "lab_file_exists"

    def __init__(self, path: str) -> None:
        super().__init__(
            message=_l("%(path)s is already in your lab; it was not overwritten.", path=path)
        )


class ContentsError(HubError):
    default_code = "contents_error"

    def __init__(self, path: str, status: int) -> None:
        super().__init__(
            message=_l(
                "The lab refused to read or write %(path)s (HTTP %(status)d).",
                path=path,
                status=status,
            )
        )
