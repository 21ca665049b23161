"""`flask orders expire`: operator commands of the commerce domain."""

import click
from flask import Flask
from flask.cli import AppGroup

from services import orders

orders_cli = AppGroup("orders", help="Order maintenance.")


@orders_cli.command("expire")
def expire_command():
    """Expire pending orders past their expires_at and release their coupon uses."""
    count = orders.expire_due_orders()
    click.echo(f"Expired {count} order{'s' if count != 1 else ''}.")


def register_order_commands(app: Flask) -> None:
    app.cli.add_command(orders_cli)
