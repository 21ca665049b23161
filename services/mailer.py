"""Outgoing e-mail: SMTP when MAIL_SERVER is set, otherwise written to the log."""

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from utils.metrics import EMAILS

logger = logging.getLogger(__name__)


def send_mail(to: str, subject: str, body: str) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        logger.info("E-mail (not sent, MAIL_SERVER unset) to=%s subject=%s\n%s", to, subject, body)
        EMAILS.labels("logged").inc()
        return
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
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
