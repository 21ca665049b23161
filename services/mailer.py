"""Outgoing e-mail: SMTP when MAIL_SERVER is set, otherwise written to the log.

Services call `queue_mail` inside their transaction; the `send_email` job delivers it once
the transaction has committed, on a worker (or inline without a broker), retried while the
mail server is unreachable, and at most once per key.
"""

import logging
import smtplib
import time
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

from flask import current_app
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from extensions import db
from models.email_delivery import EmailDelivery
from utils.db import execute_dml, transactional
from utils.deadlines import shut_at
from utils.jobs import enqueue
from utils.metrics import EMAILS
from utils.text import one_line
from utils.time import utcnow

logger = logging.getLogger(__name__)


DELIVERIES_KEPT = timedelta(days=30)


def queue_mail(key: str, to: str, subject: str, body: str) -> None:
    """Inside a transaction: e-mail `to` once it has committed; nothing if it rolls back.

    `key` names what the mail is about (`order-paid:42`): one key is mailed once, however
    often its job runs.
    """
    enqueue("send_email", key, to, subject, body)


def deliver(key: str, to: str, subject: str, body: str) -> None:
    """The `send_email` job: send the mail unless one with this key already went."""
    if db.session.get(EmailDelivery, key) is not None:
        logger.info("E-mail %s was already sent; not again", key)
        return
    db.session.rollback()  # no transaction held open while talking to the mail server
    send_mail(to, subject, body)
    try:
        _record_delivery(key)
    except IntegrityError:
        logger.info("E-mail %s was sent twice at once (a duplicated job)", key)


@transactional
def _record_delivery(key: str) -> None:
    db.session.add(EmailDelivery(key=key))


@transactional
def purge_deliveries() -> int:
    """Forget deliveries older than 30 days (no job is retried that late)."""
    result = execute_dml(
        delete(EmailDelivery).where(EmailDelivery.sent_at < utcnow() - DELIVERIES_KEPT)
    )
    return result.rowcount


def send_mail(to: str, subject: str, body: str) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        logger.info("E-mail (not sent, MAIL_SERVER unset) to=%s subject=%s\n%s", to, subject, body)
        EMAILS.labels("logged").inc()
        return
    message = compose(config["MAIL_DEFAULT_SENDER"], to, subject, body)
    timeout = config["MAIL_TIMEOUT_SECONDS"]
    smtp = smtplib.SMTP(timeout=timeout)
    try:
        # Each step waits `timeout` at most, and the sockets are shut when it has passed in all.
        with shut_at(time.monotonic() + timeout, lambda: [smtp.sock]), smtp:
            smtp.connect(config["MAIL_SERVER"], config["MAIL_PORT"])
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        EMAILS.labels("failed").inc()
        raise
    EMAILS.labels("sent").inc()
    logger.info("E-mail sent to=%s subject=%s", to, subject)


def compose(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    """The message as mail servers expect it: with `Date` and a `Message-ID` of the sender's
    domain (receivers down-rank mail without them), every header through the email package."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    # A subject made of text stored before line breaks were refused stays one header line.
    message["Subject"] = one_line(subject)
    message["Date"] = utcnow()
    message["Message-ID"] = make_msgid(domain=_domain(sender))
    message.set_content(body)
    return message


def _domain(sender: str) -> str | None:
    return parseaddr(sender)[1].rpartition("@")[2] or None
