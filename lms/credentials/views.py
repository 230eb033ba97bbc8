"""Credential pages: the learner's list and downloads, the public verification page of one
credential (no login), verification of an uploaded file, and the issuer's public documents
(Profile, JWKS, keys, status lists) that verifiers fetch."""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from lms.credentials import keys, services
from lms.credentials.document import OB_CONTEXT, VC_CONTEXT
from lms.credentials.forms import ActionForm, RevokeForm, VerifyForm
from lms.credentials.signing import Outcome, Verification
from lms.credentials.verification import verify_record, verify_text
from lms.db import db
from lms.errors import NotFound, ValidationError
from lms.extensions import limiter
from lms.web import me

bp = Blueprint("credentials", __name__, template_folder="templates")

MAX_UPLOAD_BYTES = 256 * 1024
#: Anyone may check files: the limit keeps one client from turning the page into a CPU sink.
VERIFY_RATE_LIMIT = "60 per minute"

#: What each verdict means, for people.
VERDICTS = {
    Outcome.VALID: _l("Valid: issued by this platform and not revoked."),
    Outcome.REVOKED: _l("Revoked: the issuer withdrew this credential."),
    Outcome.TAMPERED: _l("Not valid: the credential was altered after it was signed."),
    Outcome.UNKNOWN_KEY: _l("Not valid: it was not signed by a key this issuer trusts."),
    Outcome.INVALID: _l("Not valid: this is not a well-formed credential of this issuer."),
}
PROBLEMS = {
    "not_credential": _l("The file is neither a signed credential (.jwt) nor credential JSON."),
    "not_jws": _l("The file is neither a signed credential (.jwt) nor credential JSON."),
    "json_unknown": _l(
        "This JSON names no credential of this issuer. Upload the signed .jwt file instead."
    ),
    "json_differs": _l("The JSON differs from the credential the issuer signed."),
    "record_altered": _l("The stored record differs from what was signed."),
    "bad_signature": _l("The signature does not match the content."),
    "bad_header": _l("The signature header is not the one this issuer uses (RS256 with a key id)."),
    "unknown_key": _l("The signing key is not one of this issuer's keys."),
    "key_revoked": _l("The signing key was revoked by the issuer (for example, compromised)."),
    "not_object": _l("The signed content is not a credential."),
    "context": _l("The credential does not use the VC 2.0 and Open Badges 3.0 contexts."),
    "type": _l("The credential is not an OpenBadgeCredential."),
    "valid_from": _l("The credential has no valid issue date."),
    "claim": _l("The token's claims do not match the credential (issuer, id, subject or date)."),
    "not_yet_valid": _l("The credential is not valid yet."),
    "expired": _l("The credential has expired."),
    "status_unknown": _l(
        "The issuer has no record of this credential, so its revocation could not be checked."
    ),
}


def _connect() -> None:
    from lms.credentials import connect_signals

    connect_signals()


bp.record_once(lambda _state: _connect())


@bp.app_context_processor
def _verdicts() -> dict[str, Any]:
    return {"verdict_text": lambda v: VERDICTS[v.outcome], "problem_text": _problem_text}


def _problem_text(code: str) -> str:
    key = "claim" if code.startswith("claim_") else code
    return str(PROBLEMS.get(key, code))


@bp.get("/me/credentials")
@login_required
def mine() -> ResponseReturnValue:
    """The signed-in learner's credentials, with their status."""
    return render_template("credentials/mine.html", credentials=services.credentials_for(me()))


@bp.get("/credentials/<uuid>")
def show(uuid: str) -> ResponseReturnValue:
    """The public verification page: anyone with the link sees the verdict and the facts."""
    credential = services.visible_credential(current_user, uuid)
    manage = services.can_manage(current_user, credential)
    return render_template(
        "credentials/show.html",
        credential=credential,
        result=verify_record(credential),
        can_manage=manage,
        share_url=services.urls().credential(credential.uuid),
        revoke_form=RevokeForm(formdata=None) if _is_admin() else None,
    )


def _is_admin() -> bool:
    return current_user.is_authenticated and current_user.role.value == "admin"


@bp.post("/credentials/<uuid>/visibility")
@login_required
def visibility(uuid: str) -> ResponseReturnValue:
    """The recipient opens or closes the public page (``public=1`` or ``0``)."""
    credential = services.owned_credential(me(), uuid)
    if not ActionForm().validate_on_submit():
        abort(400)
    public = request.form.get("public") == "1"
    services.set_public(me(), credential, public)
    db.session.commit()
    if public:
        flash(
            _("The public page is open: anyone with the link can check the credential."), "success"
        )
    else:
        flash(_("The public page is closed. The signed file still verifies offline."), "success")
    return redirect(url_for("credentials.show", uuid=credential.uuid))


@bp.get("/credentials/<uuid>/credential.<fmt>")
@login_required
def download(uuid: str, fmt: str) -> ResponseReturnValue:
    """The recipient's (or an admin's) files: the credential JSON, or the signed JWT."""
    credential = services.owned_credential(me(), uuid)
    name = f"credential-{credential.uuid}"
    if fmt == "jwt":
        body, mimetype = credential.token, "application/jwt"
    elif fmt == "json":
        body = json.dumps(credential.payload, ensure_ascii=False, indent=2)
        mimetype = "application/json"
    else:
        raise NotFound("not_found", _l("The page or object was not found."))
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@bp.route("/credentials/verify", methods=["GET", "POST"])
@limiter.limit(VERIFY_RATE_LIMIT, methods=["POST"])
def verify() -> ResponseReturnValue:
    """Check a credential file: signature, issuer key, content, revocation."""
    # Refuse oversized bodies before werkzeug parses them (413 page).
    request.max_content_length = MAX_UPLOAD_BYTES + 64 * 1024
    form = VerifyForm()
    result: Verification | None = None
    status = 200
    if form.validate_on_submit():
        try:
            result = verify_text(_uploaded_text(form))
        except ValidationError as error:
            form.text.errors = [*form.text.errors, str(error.message)]
            status = 422
    elif request.method == "POST":
        status = 400
    return render_template("credentials/verify.html", form=form, result=result), status


def _uploaded_text(form: VerifyForm) -> str:
    upload = form.file.data
    data = upload.stream.read(MAX_UPLOAD_BYTES + 1) if upload and upload.filename else b""
    if not data:
        data = (form.text.data or "").encode()
    if not data.strip():
        raise ValidationError(
            "credential_missing", _l("Choose a credential file or paste one."), "text"
        )
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            "credential_too_large", _l("The file is too large for a credential (256 KB)."), "text"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError(
            "credential_not_text", _l("The file is not text; credentials are JSON or JWT."), "text"
        ) from None


def _public_json(body: Any, mimetype: str = "application/json") -> Response:
    response = jsonify(body) if not isinstance(body, str) else Response(body, mimetype=mimetype)
    if not isinstance(body, str):
        response.mimetype = mimetype
    # Verifiers on other sites fetch these from browsers; they hold nothing personal.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/credentials/issuer")
def issuer_profile() -> Response:
    """The issuer's OB 3.0 Profile (the ``issuer.id`` of every credential)."""
    profile = {"@context": [VC_CONTEXT, OB_CONTEXT], **services.issuer()}
    return _public_json(profile, "application/ld+json")


@bp.get("/credentials/issuer/jwks.json")
def jwks() -> Response:
    """The public keys that verify this issuer's credentials (current and retired)."""
    urls = services.urls()
    published = [keys.jwk_for_publication(k, urls.key(k.kid)) for k in keys.trusted_keys()]
    return _public_json({"keys": published})


@bp.get("/credentials/issuer/keys/<kid>")
def key(kid: str) -> Response:
    """One public key: what a credential's ``kid`` header dereferences to."""
    record = keys.find_key(kid)
    if record is None or record.kid != kid or not record.is_trusted:
        raise NotFound("issuer_key_not_found", _l("No issuer key has this id."))
    return _public_json(keys.jwk_for_publication(record, services.urls().key(kid)))


@bp.get("/credentials/status/<int:number>")
def status_list(number: int) -> Response:
    """The signed Bitstring Status List credential (revocations) number ``number``."""
    token = services.signed_status_list(number)
    db.session.commit()  # the issuer key's public record, the first time it signs
    response = _public_json(token, "application/jwt")
    response.headers["Cache-Control"] = "no-cache"  # a revocation must show at once
    return response
