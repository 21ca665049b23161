"""`flask seed` and `flask create-admin`: reference data and the first admin."""

import click
from flask import Flask, current_app

from services import seed
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
