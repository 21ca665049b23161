"""`flask seed`, `flask create-admin`, `flask tokens purge`: data set-up and upkeep."""

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from services import seed, tokens
from services.exceptions import AppError


def register_seed_commands(app: Flask) -> None:
    @app.cli.command("seed")
    def seed_command():
        """Create the plans, templates and the admin of ADMIN_EMAIL/ADMIN_PASSWORD if missing."""
        created = seed.seed_reference_data(
            current_app.config["ADMIN_EMAIL"], current_app.config["ADMIN_PASSWORD"]
        )
        click.echo(
            "Seed: {plans} plans, {templates} templates, {admins} admins created.".format(**created)
        )

    @app.cli.command("create-admin")
    @click.argument("email")
    @click.password_option(prompt="Password for the admin")
    def create_admin_command(email: str, password: str):
        """Create an admin account; the password is prompted for."""
        try:
            admin = seed.create_admin(email, password)
        except AppError as error:
            raise click.ClickException(error.message) from error
        click.echo(f"Admin {admin.email} created.")

    tokens_group = AppGroup("tokens", help="JWT blocklist upkeep.")

    @tokens_group.command("purge")
    def purge_tokens_command():
        """Delete blocklist rows whose tokens have expired anyway."""
        removed = tokens.purge_expired_revocations()
        click.echo(f"Removed {removed} expired revocations.")

    app.cli.add_command(tokens_group)
