"""Operator and developer commands: `flask orders expire`, `flask orders reconcile-refunds`,
`flask tokens purge`, `flask idempotency purge`, `flask mail purge-deliveries`, `flask media
sweep-orphans`, `flask jobs relay|purge-outbox`, `flask izipay simulate-ipn`, `flask backup
create|restore`."""

import time
from datetime import timedelta
from pathlib import Path

import click
import requests
from flask import Flask
from flask.cli import AppGroup

from services import backups, idempotency, mailer, orders, orphan_files, payments, tokens
from services.exceptions import AppError
from utils.jobs import purge_outbox, relay_jobs
from utils.media import local_app_url

orders_cli = AppGroup("orders", help="Order maintenance.")
tokens_cli = AppGroup("tokens", help="JWT blocklist upkeep.")
izipay_cli = AppGroup("izipay", help="Izipay developer tools.")
idempotency_cli = AppGroup("idempotency", help="Idempotency-Key upkeep.")
media_cli = AppGroup("media", help="Stored media upkeep.")
mail_cli = AppGroup("mail", help="E-mail upkeep.")
jobs_cli = AppGroup("jobs", help="Background job upkeep.")
backup_cli = AppGroup("backup", help="Backups of the database and the media, and their restore.")


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


@idempotency_cli.command("purge")
def purge_idempotency_keys_command():
    """Delete Idempotency-Key records older than their 24 hours."""
    removed = idempotency.purge_expired()
    click.echo(f"Removed {removed} expired idempotency keys.")


@media_cli.command("sweep-orphans")
@click.option("--dry-run", is_flag=True, help="Count the orphans; delete nothing.")
def sweep_orphans_command(dry_run: bool):
    """Delete stored uploads and cards older than a day that no row points at."""
    counts = orphan_files.sweep_orphan_files(dry_run=dry_run)
    click.echo(
        "Orphan files: {checked} checked, {orphaned} orphaned, {deleted} deleted.".format(**counts)
    )


@mail_cli.command("purge-deliveries")
def purge_deliveries_command():
    """Forget e-mail delivery records older than 30 days."""
    removed = mailer.purge_deliveries()
    click.echo(f"Removed {removed} delivery records.")


@jobs_cli.command("relay")
def relay_jobs_command():
    """Hand to the broker the jobs left in the outbox while it was down."""
    relayed = relay_jobs()
    click.echo(f"Relayed {relayed} job{'s' if relayed != 1 else ''}.")


@jobs_cli.command("purge-outbox")
def purge_outbox_command():
    """Delete outbox jobs that could not be relayed for a week."""
    removed = purge_outbox()
    click.echo(f"Removed {removed} outbox jobs.")


@izipay_cli.command("simulate-ipn")
@click.argument("order_number")
@click.option("--status", type=click.Choice(["PAID", "UNPAID"]), default="PAID", show_default=True)
@click.option(
    "--url",
    default=None,
    help="Base URL of the running app [default: http://127.0.0.1:$PORT, PORT 5000 when unset].",
)
def simulate_ipn_command(order_number: str, status: str, url: str | None):
    """Post a correctly signed Izipay notification for ORDER_NUMBER (TEST keys only).

    It reads the app's own settings (.env, APP_ENV), so it signs with the IZIPAY_PASSWORD
    the running app checks. Every failure is one line and a non-zero exit.
    """
    base_url = (url or local_app_url()).rstrip("/")
    try:
        fields = payments.simulated_notification(order_number, status)
    except AppError as error:
        raise click.ClickException(error.message) from error
    try:
        response = requests.post(f"{base_url}/api/payments/izipay/ipn", data=fields, timeout=30)
    except requests.ConnectionError as error:
        raise click.ClickException(
            f"Nothing answers at {base_url}: is the app running there? "
            "Pass --url, or set PORT to the port it serves on."
        ) from error
    except requests.RequestException as error:
        raise click.ClickException(
            f"The notification could not be sent to {base_url} ({type(error).__name__})."
        ) from error
    number = order_number.strip().upper()
    click.echo(_simulated_ipn_result(response, number, status, base_url))


def _simulated_ipn_result(response, order_number: str, status: str, base_url: str) -> str:
    """The one line telling what the app did with the notification; failures raise."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise click.ClickException(
            f"{base_url} answered HTTP {response.status_code} without JSON: is it this app?"
        )
    if response.status_code != 200:
        hint = SIMULATE_IPN_HINTS.get(body.get("error"), "")
        raise click.ClickException(
            f"The app refused the notification: {response.status_code} "
            f"{body.get('error')}: {body.get('message')}{hint}"
        )
    outcome = body.get("outcome")
    if outcome == payments.OUTCOME_PAID:
        return f"{order_number} is paid: the app accepted the signed notification."
    if outcome == payments.OUTCOME_RECORDED:
        return f"{order_number}: the {status} notification is recorded; the order stays pending."
    messages = {
        payments.OUTCOME_DUPLICATE: f"The app already had this {status} notification for "
        f"{order_number} (a repeat): nothing changed.",
        payments.OUTCOME_FLAGGED: f"The app recorded the notification for {order_number} but "
        "flagged it (its log says why): the order is unchanged.",
        payments.OUTCOME_UNKNOWN_ORDER: f"The app at {base_url} does not know {order_number}: "
        "does it use the same database as this command?",
    }
    raise click.ClickException(messages.get(outcome, f"Unexpected answer: {body}"))


SIMULATE_IPN_HINTS = {
    "invalid_signature": " (does the app use the same IZIPAY_PASSWORD as this command?)",
    "payments_not_configured": " (set the IZIPAY_* keys for the running app too)",
}


@orders_cli.command("reconcile-refunds")
@click.option(
    "--older-than-minutes",
    type=click.IntRange(min=0),
    default=int(payments.REFUND_CLAIM_STALE_AFTER.total_seconds() // 60),
    show_default=True,
    help="Only orders claimed for a refund at least this long ago (younger ones may be in flight).",
)
def reconcile_refunds_command(older_than_minutes: int):
    """Settle orders left `refunding` from what Izipay reports: refunded, or back to paid."""
    try:
        counts = payments.reconcile_stale_refunds(older_than=timedelta(minutes=older_than_minutes))
    except AppError as error:
        raise click.ClickException(error.message) from error
    click.echo(
        "Refunds reconciled: {refunded} refunded, {released} back to paid, "
        "{unresolved} left for the next run.".format(**counts)
    )
    if counts["unresolved"]:
        raise SystemExit(1)


@backup_cli.command("create")
@click.argument("destination", type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-media", is_flag=True, help="Leave the media files out (database only).")
def create_backup_command(destination: Path, no_media: bool):
    """Write one archive of the database (one consistent snapshot) and the media to DESTINATION.

    The archive is DESTINATION/invitaciones-backup-<UTC time>.tar.gz, readable by its owner only.
    """
    started = time.monotonic()
    try:
        result = backups.create_backup(destination, include_media=not no_media)
    except (AppError, backups.BackupError) as error:
        raise click.ClickException(error.message) from error
    for key in result.media_skipped:
        click.echo(f"Skipped {key}: deleted while the backup ran.", err=True)
    click.echo(
        f"Backup written: {result.path} ({result.rows} rows in {result.tables} tables, "
        f"{result.media_files} media files; {result.size_bytes / 1_048_576:.1f} MB in "
        f"{time.monotonic() - started:.1f} s)."
    )


@backup_cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--no-media", is_flag=True, help="Restore the database only.")
def restore_backup_command(archive: Path, no_media: bool):
    """Restore ARCHIVE into this app's database, which must be empty and migrated to the
    archive's revision (`flask db upgrade` first), and its media into the storage."""
    try:
        result = backups.restore_backup(archive, include_media=not no_media)
    except (AppError, backups.BackupError) as error:
        raise click.ClickException(error.message) from error
    click.echo(
        f"Restored {result.rows} rows in {result.tables} tables and {result.media_files} media "
        f"files from {archive} (revision {result.revision})."
    )


def register_commands(app: Flask) -> None:
    for group in (
        orders_cli, tokens_cli, idempotency_cli, mail_cli, media_cli, jobs_cli, izipay_cli,
        backup_cli,
    ):  # fmt: skip
        app.cli.add_command(group)
