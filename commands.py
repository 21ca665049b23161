"""Operator and developer commands: `flask orders expire`, `flask tokens purge`,
`flask izipay simulate-ipn`."""

import click
import requests
from flask import Flask
from flask.cli import AppGroup

from services import orders, payments, tokens
from services.exceptions import AppError

orders_cli = AppGroup("orders", help="Order maintenance.")
tokens_cli = AppGroup("tokens", help="JWT blocklist upkeep.")
izipay_cli = AppGroup("izipay", help="Izipay developer tools.")


@orders_cli.command("expire")
def expire_command():
    """Expire pending orders past their expires_at and release their coupon uses."""
    count = orders.expire_due_orders()
    click.echo(f"Expired {count} order{'s' if count != 1 else ''}.")


@tokens_cli.command("purge")
def purge_tokens_command():
    """Delete blocklist rows whose tokens have expired anyway."""
    removed = tokens.purge_expired_revocations()
    click.echo(f"Removed {removed} expired revocations.")


@izipay_cli.command("simulate-ipn")
@click.argument("order_number")
@click.option("--status", type=click.Choice(["PAID", "UNPAID"]), default="PAID", show_default=True)
@click.option(
    "--url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="Base URL of the running app that receives the notification.",
)
def simulate_ipn_command(order_number: str, status: str, url: str):
    """Post a correctly signed Izipay notification for ORDER_NUMBER (TEST keys only)."""
    try:
        fields = payments.simulated_notification(order_number, status)
    except AppError as error:
        raise click.ClickException(error.message) from error
    response = requests.post(f"{url.rstrip('/')}/api/payments/izipay/ipn", data=fields, timeout=30)
    click.echo(f"{response.status_code} {response.text.strip()}")
    if response.status_code != 200:
        raise SystemExit(1)


def register_commands(app: Flask) -> None:
    for group in (orders_cli, tokens_cli, izipay_cli):
        app.cli.add_command(group)
