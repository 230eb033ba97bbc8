"""Account pages: sign up, log in/out, and the settings page (profile, segment, password,
personal API tokens). Each view parses a form, calls one service, commits and redirects."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.exceptions import TooManyRequests

from lms.accounts import services
from lms.accounts.forms import (
    LoginForm,
    PasswordForm,
    ProfileForm,
    RegisterForm,
    SegmentForm,
    TokenForm,
)
from lms.errors import DomainError
from lms.extensions import db, limiter
from lms.orgs import invitations as org_invitations
from lms.orgs import services as org_services
from lms.web import current_locale, me, safe_next, show_error

bp = Blueprint("accounts", __name__, template_folder="templates")


def _login_limit() -> str:
    return current_app.config["LMS_LOGIN_RATE_LIMIT"]


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    """Sign-up form; on success the new user is logged in (GET/POST)."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.learner"))
    orgs = org_services.list_orgs()
    form = RegisterForm(org_choices=[(o.slug, o.name(current_locale())) for o in orgs])
    if form.validate_on_submit():
        try:
            user = services.register(
                form.email.data,
                form.name.data,
                form.password.data,
                segment=form.segment.data,
                locale=session.get("locale"),
            )
            if form.organisation.data:
                # Self-declared at sign-up: a request that the org's managers approve.
                org = org_services.get_org(form.organisation.data)
                org_invitations.request_to_join(user, org)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error, fallback="email")
        else:
            db.session.commit()
            login_user(user)
            flash(_("Welcome! Your account is ready."), "success")
            if form.organisation.data or org_invitations.invitations_for(user):
                return redirect(url_for("orgs.mine"))
            return redirect(url_for("catalog.catalogue"))
    return render_template("accounts/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> ResponseReturnValue:
    """Log-in form; failures keep the attempt counter, too many from one address: 429."""
    next_url = safe_next(request.args.get("next"), url_for("dashboard.learner"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except DomainError as error:
            db.session.commit()  # the failure counter and the audit event must be kept
            show_error(form, error)
        else:
            db.session.commit()
            locale = session.get("locale")
            session.clear()  # a fresh session on login: no fixation
            if locale:
                session["locale"] = locale
            login_user(user)
            return redirect(next_url)
    return render_template("accounts/login.html", form=form, next_url=request.args.get("next"))


@bp.errorhandler(TooManyRequests)
def too_many_logins(error: TooManyRequests) -> ResponseReturnValue:
    """Too many login attempts from this address: the login page, with the reason, as 429."""
    form = LoginForm(formdata=None)
    form.form_errors.append(
        _("Too many login attempts from your network. Wait a minute and try again.")
    )
    return render_template("accounts/login.html", form=form, next_url=None), 429


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """End the session (POST only); the chosen language is kept."""
    locale = session.get("locale")
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You have logged out."), "success")
    return redirect(url_for("catalog.catalogue"))


def _settings_page(**forms) -> str:
    user = current_user._get_current_object()
    context = {
        "profile_form": ProfileForm(obj=user, formdata=None),
        "segment_form": SegmentForm(formdata=None, segment=user.segment),
        "password_form": PasswordForm(formdata=None),
        "token_form": TokenForm(formdata=None, prefix="token"),
        "tokens": services.list_tokens(user, user),
        "segment_history": user.segments,
        "new_token": None,
    }
    if context["profile_form"].timezone.data is None:
        context["profile_form"].timezone.data = current_app.config.get("LMS_DEFAULT_TIMEZONE")
    context.update(forms)
    return render_template("accounts/settings.html", **context)


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> ResponseReturnValue:
    """The settings page; POST saves name, language and time zone."""
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        # The form restricts language and time zone to known values; nothing else to check.
        form.populate_obj(me())
        db.session.commit()
        session["locale"] = form.locale.data
        flash(_("Your profile was saved."), "success")
        return redirect(url_for("accounts.settings"))
    status = 422 if form.errors or form.form_errors else 200
    return _settings_page(profile_form=form), status


@bp.post("/settings/segment")
@login_required
def change_segment() -> ResponseReturnValue:
    """Record the learner's new pipeline segment (history is kept)."""
    form = SegmentForm()
    if not form.validate_on_submit():
        return _settings_page(segment_form=form), 422
    services.change_segment(me(), me(), form.segment.data)
    db.session.commit()
    flash(_("Your learning stage was updated."), "success")
    return redirect(url_for("accounts.settings"))


@bp.post("/settings/password")
@login_required
def change_password() -> ResponseReturnValue:
    """Change the password after checking the current one."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.authenticate(current_user.email, form.current_password.data)
        except DomainError:
            db.session.commit()  # counts as a failed login: keeps guessing as slow as at login
            form.current_password.errors = [_("The current password is wrong.")]
            return _settings_page(password_form=form), 422
        try:
            services.change_password(me(), me(), form.new_password.data)
        except DomainError as error:
            db.session.rollback()
            form.new_password.errors = [str(error.message)]
        else:
            db.session.commit()
            flash(_("Your password was changed."), "success")
            return redirect(url_for("accounts.settings"))
    return _settings_page(password_form=form), 422


@bp.post("/settings/tokens")
@login_required
def create_token() -> ResponseReturnValue:
    """Create a personal API token and show its secret once (201)."""
    form = TokenForm(prefix="token")  # "token-name": the profile form has a "name" too
    if not form.validate_on_submit():
        return _settings_page(token_form=form), 422
    _token, secret = services.create_token(me(), me(), form.name.data)
    db.session.commit()
    # Shown once, in this response only; never stored in the session or a flash cookie.
    return _settings_page(new_token=secret), 201


@bp.post("/settings/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> ResponseReturnValue:
    """Revoke one of the user's own tokens (another person's: 404)."""
    services.revoke_token(me(), token_id)
    db.session.commit()
    flash(_("The token was revoked."), "success")
    return redirect(url_for("accounts.settings"))
