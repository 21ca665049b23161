"""The background jobs (utils/jobs.py) and Celery beat's schedule of the periodic ones.

Each job is a thin entry point, like a view: it calls one service, which owns the rules
and the transaction. Every job is safe to run twice: mails are sent once per key, a card
is drawn only when what it shows changed, the periodic ones act on what is due.
"""

from celery.schedules import crontab

from services import (
    idempotency,
    mailer,
    orders,
    orphan_files,
    payments,
    preview_cards,
    rsvp_notices,
    stored_files,
    tokens,
)
from utils.jobs import job, purge_outbox, relay_jobs


@job("send_email")
def send_email(key: str, to: str, subject: str, body: str) -> None:
    mailer.deliver(key, to, subject, body)


@job("send_rsvp_notice")
def send_rsvp_notice(invitation_id: int) -> int:
    return rsvp_notices.send_rsvp_notice(invitation_id)


@job("refresh_preview_card")
def refresh_preview_card(invitation_id: int) -> None:
    preview_cards.refresh_preview_card(invitation_id)


@job("delete_stored_files")
def delete_stored_files(keys: list[str]) -> int:
    return stored_files.delete_stored_files(keys)


@job("relay_jobs")
def relay_outbox() -> int:
    return relay_jobs()


@job("expire_orders")
def expire_orders() -> int:
    return orders.expire_due_orders()


@job("reconcile_refunds")
def reconcile_refunds() -> dict[str, int]:
    return payments.reconcile_stale_refunds()


@job("purge_expired_records")
def purge_expired_records() -> dict[str, int]:
    return {
        "revoked_tokens": tokens.purge_expired_revocations(),
        "idempotency_keys": idempotency.purge_expired(),
        "email_deliveries": mailer.purge_deliveries(),
        "outbox_jobs": purge_outbox(),
    }


@job("sweep_orphan_files")
def sweep_orphan_files() -> dict[str, int]:
    return orphan_files.sweep_orphan_files()


# Lima times (the Celery app's timezone). deploy/crontab runs the same work for hosts without
# beat: run one or the other, and one beat per deployment.
BEAT_SCHEDULE = {
    # Jobs whose process could not hand them to the broker (it was down) leave from here.
    "relay-jobs": {"task": "relay_jobs", "schedule": 30.0},
    "expire-orders": {"task": "expire_orders", "schedule": 300.0},
    "reconcile-refunds": {"task": "reconcile_refunds", "schedule": 600.0},
    "purge-expired-records": {
        "task": "purge_expired_records",
        "schedule": crontab(hour=4, minute=17),
    },
    "sweep-orphan-files": {"task": "sweep_orphan_files", "schedule": crontab(hour=4, minute=47)},
}
