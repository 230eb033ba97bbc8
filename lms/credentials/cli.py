"""``flask --app lms credentials …``: verify a credential file offline, export the issuer's
public keys and status lists, rotate or revoke the signing key, issue missing credentials.

``verify`` exits 0 when the credential is valid, 1 when it was revoked, 3 when its signature
does not match (tampered), 4 when no trusted key signed it, 5 when it is not a credential
of this kind, and 2 for usage errors (click's own status, e.g. a missing file).
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from lms.cli import domain_errors_exit
from lms.credentials.signing import Outcome, Verification, token_from_upload, verify_token
from lms.db import utcnow

credentials_cli = AppGroup("credentials", help="Verifiable credentials (Open Badges 3.0).")

EXIT_CODES = {
    Outcome.VALID: 0,
    Outcome.REVOKED: 1,
    Outcome.TAMPERED: 3,
    Outcome.UNKNOWN_KEY: 4,
    Outcome.INVALID: 5,
}
VERDICTS = {
    Outcome.VALID: "VALID: signed by this issuer, content intact, not revoked",
    Outcome.REVOKED: "REVOKED: signature valid, but the issuer revoked this credential",
    Outcome.TAMPERED: "TAMPERED: the content does not match its signature",
    Outcome.UNKNOWN_KEY: "NOT VERIFIED: not signed by a key this issuer trusts",
    Outcome.INVALID: "INVALID: not a well-formed OpenBadgeCredential of this issuer",
}


@credentials_cli.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--jwks",
    "jwks_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Trust only the keys of this JWKS file (from `credentials export`), not the database.",
)
@click.option(
    "--status-list",
    "status_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Take revocation from this exported status list (.jwt), not the database.",
)
def verify_command(file: Path, jwks_file: Path | None, status_file: Path | None) -> None:
    """Verify the credential in FILE (.jwt, or .json downloaded from the portal)."""
    from lms.credentials import verification

    text = file.read_text(encoding="utf-8", errors="replace")
    if jwks_file is None and status_file is None:
        result = verification.verify_text(text)
    else:
        result = _verify_with_files(text, jwks_file, status_file)
    _report(result)
    raise SystemExit(EXIT_CODES[result.outcome])


def _verify_with_files(text: str, jwks_file: Path | None, status_file: Path | None):
    from lms.credentials import verification

    find_key = verification.database_key
    if jwks_file is not None:
        try:
            find_key = verification.jwks_key_finder(json.loads(jwks_file.read_text("utf-8")))
        except (ValueError, AttributeError) as exc:
            raise click.ClickException(f"JWKS: {exc}") from None
    find_status = verification.database_status
    if status_file is not None:
        try:
            find_status = verification.status_list_finder(status_file.read_text(), find_key)
        except (ValueError, KeyError) as exc:
            raise click.ClickException(f"status list: {exc}") from None
    try:
        token, _document = token_from_upload(text)
    except ValueError:
        token = None
    if token is None:
        return Verification(Outcome.INVALID, ["offline checks need the signed .jwt file"])
    return verify_token(token, find_key, find_status, utcnow())


def _report(result: Verification) -> None:
    click.echo(VERDICTS[result.outcome])
    credential = result.credential or {}
    subject = credential.get("credentialSubject") or {}
    achievement = subject.get("achievement") or {}
    names = [i for i in subject.get("identifier", []) if i.get("identityType") == "name"]
    issuer = credential.get("issuer")
    for label, value in (
        ("credential", credential.get("id")),
        ("achievement", achievement.get("name")),
        ("recipient", names[0].get("identityHash") if names else None),
        ("issuer", issuer.get("name") if isinstance(issuer, dict) else issuer),
        ("valid from", credential.get("validFrom")),
        ("key", result.kid),
    ):
        if value:
            click.echo(f"  {label}: {value}")
    if result.outcome == Outcome.VALID and result.status is None:
        click.echo("  revocation: not checked (no record of it here, nor on the list given)")
    if result.status is not None and result.status.revoked:
        when = result.status.revoked_at.isoformat() if result.status.revoked_at else "unknown"
        click.echo(f"  revoked at: {when}")
        if result.status.reason:
            click.echo(f"  reason: {result.status.reason}")
    for problem in result.problems:
        click.echo(f"  problem: {problem}")


@credentials_cli.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@domain_errors_exit
def export_command(directory: Path) -> None:
    """Write the public JWKS and every status list into DIRECTORY (for offline checks)."""
    from sqlalchemy import func, select

    from lms.credentials import keys, services
    from lms.credentials.models import Credential
    from lms.db import db

    directory.mkdir(parents=True, exist_ok=True)
    urls = services.urls()
    published = [keys.jwk_for_publication(k, urls.key(k.kid)) for k in keys.trusted_keys()]
    (directory / "jwks.json").write_text(json.dumps({"keys": published}, indent=2))
    last = db.session.scalar(select(func.max(Credential.status_list))) or 1
    for number in range(1, last + 1):
        (directory / f"status-{number}.jwt").write_text(services.signed_status_list(number))
    db.session.commit()
    click.echo(f"wrote jwks.json and {last} status list(s) to {directory}")


@credentials_cli.command("rotate-key")
@domain_errors_exit
def rotate_key_command() -> None:
    """Sign new credentials with a new key; the old key keeps verifying what it signed."""
    from lms.audit.services import record
    from lms.credentials import keys
    from lms.db import db

    new = keys.rotate_key()
    record("credentials.key_rotated", None, new, {"kid": new.kid})
    db.session.commit()
    click.echo(f"new issuer key {new.kid}")


@credentials_cli.command("revoke-key")
@click.argument("kid")
@click.confirmation_option(prompt="Credentials signed with this key will no longer verify. Go on?")
@domain_errors_exit
def revoke_key_command(kid: str) -> None:
    """Stop trusting a compromised key KID (rotate first if it is the current one)."""
    from lms.audit.services import record
    from lms.credentials import keys
    from lms.db import db

    revoked = keys.revoke_key(kid)
    record("credentials.key_revoked", None, revoked, {"kid": revoked.kid})
    db.session.commit()
    click.echo(f"issuer key {revoked.kid} revoked")


@credentials_cli.command("issue-missing")
@domain_errors_exit
def issue_missing_command() -> None:
    """Issue credentials for confirmed completions that have none (e.g. confirmed before
    credentials were set up)."""
    from sqlalchemy import select

    from lms.completion.models import Completion
    from lms.credentials.models import Credential
    from lms.credentials.services import issue_for_completion
    from lms.db import db

    issued = select(Credential.completion_id).where(
        Credential.completion_id.is_not(None), Credential.revoked_at.is_(None)
    )
    pending = db.session.scalars(
        select(Completion).where(Completion.revoked_at.is_(None), Completion.id.not_in(issued))
    ).all()
    for completion in pending:
        issue_for_completion(completion)
    db.session.commit()
    click.echo(f"{len(pending)} credential(s) issued")
