"""`flask seed` and `flask create-admin`: reference data and the first admin."""

import click
from flask import Flask, current_app

from services import seed
from services.exceptions import AppError


def register_seed_commands(app: Flask) -> None:
    @app.cli.command("seed")
    def seed_command():
        """Create the plans, templates (with their images) and the admin of
        ADMIN_EMAIL/ADMIN_PASSWORD, where missing."""
        config = current_app.config
        try:
            created = seed.seed_reference_data(config["ADMIN_EMAIL"], config["ADMIN_PASSWORD"])
        except AppError as error:
            raise click.ClickException(f"{error.message} Nothing was seeded.") from error
        click.echo(
            "Seed: {plans} plans, {templates} templates, {admins} admins created; "
            "{images} template images drawn.".format(**created)
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
