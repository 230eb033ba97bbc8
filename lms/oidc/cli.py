"""``flask --app lms oidc …``: register OAuth clients (secrets printed once, kept hashed)."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from lms.cli import domain_errors_exit
from lms.db import db
from lms.oidc import services

oidc_cli = AppGroup("oidc", help="OpenID Connect clients (JupyterHub and other tools).")


@oidc_cli.command("create-client")
@click.argument("client_id")
@click.option(
    "--redirect-uri",
    "redirect_uris",
    multiple=True,
    required=True,
    help="Allowed redirect URI (repeatable).",
)
@click.option("--name", default=None, help="Display name (default: the client id).")
@click.option("--third-party", is_flag=True, help="Ask users for consent (not a first-party tool).")
@domain_errors_exit
def create_client(
    client_id: str, redirect_uris: tuple[str, ...], name: str | None, third_party: bool
) -> None:
    """Register CLIENT_ID and print its secret once on stdout (only its hash is stored)."""
    client, secret = services.create_client(
        client_id, name or client_id, list(redirect_uris), not third_party
    )
    db.session.commit()
    click.echo(f"client {client.client_id} registered; its secret follows (shown once)", err=True)
    click.echo(secret)


@oidc_cli.command("ensure-hub-client")
@click.option("--redirect-uri", default=None, help="Default: $LMS_HUB_URL/hub/oauth_callback.")
@domain_errors_exit
def ensure_hub_client(redirect_uri: str | None) -> None:
    """Make sure the `jupyterhub` client exists; its secret goes to
    <instance>/hub_oauth_client_secret (0600). Safe to run at every start."""
    hub_url = (
        current_app.config.get("LMS_HUB_URL")
        or os.environ.get("LMS_HUB_URL")
        or "http://127.0.0.1:8000"
    ).rstrip("/")
    instance = Path(current_app.instance_path)
    client, written = services.ensure_hub_client(
        instance, redirect_uri or f"{hub_url}/hub/oauth_callback"
    )
    db.session.commit()
    has_token = current_app.config.get("LMS_HUB_API_TOKEN") or os.environ.get("LMS_HUB_API_TOKEN")
    if not has_token and services.ensure_hub_api_token(instance):
        click.echo(f"hub service token written to {instance / 'hub_api_token'}")
    state = "new secret written to" if written else "secret unchanged in"
    click.echo(
        f"client {client.client_id} ready ({', '.join(client.redirect_uris)}); {state} {instance / services.HUB_SECRET_FILE}"
    )


@oidc_cli.command("list-clients")
def list_clients() -> None:
    """List registered clients (never their secrets)."""
    for client in db.session.scalars(
        db.select(services.OAuthClient).order_by(services.OAuthClient.client_id)
    ):
        state = (
            "revoked"
            if client.revoked_at
            else ("first-party" if client.is_first_party else "third-party")
        )
        click.echo(f"{client.client_id}\t{state}\t{' '.join(client.redirect_uris)}")
