"""Background jobs on a real Celery worker (celery's testing worker, in a thread) with Redis as
the broker: jobs leave only once their transaction has committed, never after a rollback,
and are retried while the mail server is down. Without a broker they run inline."""

import socket
import time

import pytest
from sqlalchemy import select

from extensions import db
from models.invitation import Invitation
from services import mailer, preview_cards
from tests.guest_fixtures import guest_link, published_invitation, rsvp
from tests.job_fixtures import wait_for
from tests.smtp_server import SMTPServer
from utils.db import transactional
from utils.jobs import queue_depth
from utils.metrics import JOBS

# Many seconds long: started first, so both xdist workers finish together (conftest).
pytestmark = pytest.mark.slow


class RolledBack(Exception):
    pass


def subjects(smtp_server) -> list[str]:
    return [message["Subject"] for *_, message in smtp_server.messages]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_mail_leaves_for_the_worker_only_once_its_transaction_commits(
    worker_app, worker, smtp_server
):
    app = worker_app()
    celery = app.extensions["celery"]

    @transactional
    def register_and_mail():
        mailer.queue_mail("welcome:1", "ana@example.com", "Bienvenida", "Hola Ana")
        time.sleep(0.3)  # the worker is running: a mail sent before commit would arrive now
        assert smtp_server.messages == []
        assert queue_depth(celery) == 0

    with app.app_context(), worker(app):
        register_and_mail()
        wait_for(lambda: smtp_server.messages, what="the mail")

    [(_, recipients, message)] = smtp_server.messages
    assert recipients == ["ana@example.com"] and message["Subject"] == "Bienvenida"


def test_a_rolled_back_transaction_sends_no_mail_and_draws_no_card(
    worker_app, worker, smtp_server, make
):
    app = worker_app()
    with app.app_context(), worker(app):
        invitation = make.invitation(is_published=True)

        @transactional
        def change_then_fail():
            mailer.queue_mail("order-paid:1", "ana@example.com", "Pago confirmado", "...")
            preview_cards.refresh_after_commit(invitation.id)
            raise RolledBack

        with pytest.raises(RolledBack):
            change_then_fail()
        # The queue is first in, first out and served one job at a time: once a mail queued
        # after them has arrived, anything the rollback had queued would have run.
        queue_sentinel()
        wait_for(lambda: smtp_server.messages, what="the sentinel mail")
        assert subjects(smtp_server) == ["Sentinel"]
        assert card_hash(invitation.id) is None

        # The same steps committed: both happen, on the worker.
        commit_both = transactional(
            lambda: (
                mailer.queue_mail("order-paid:1", "ana@example.com", "Pago confirmado", "..."),
                preview_cards.refresh_after_commit(invitation.id),
            )
        )
        commit_both()
        wait_for(lambda: card_hash(invitation.id), what="the card")
        wait_for(lambda: len(smtp_server.messages) == 2, what="the mail")
    assert subjects(smtp_server) == ["Sentinel", "Pago confirmado"]


@transactional
def queue_sentinel():
    mailer.queue_mail("sentinel", "qa@example.com", "Sentinel", "-")


def card_hash(invitation_id: int) -> str | None:
    db.session.rollback()
    return db.session.scalar(
        select(Invitation.preview_card_hash).where(Invitation.id == invitation_id)
    )


def test_publishing_through_the_api_draws_the_card_on_the_worker(
    worker_app, worker, auth_headers, make, media_root
):
    app = worker_app()
    client = app.test_client()
    with app.app_context(), worker(app):
        invitation = published_invitation(client, auth_headers(make.user()))
        wait_for(lambda: card_hash(invitation["id"]), what="the card")
        card = db.session.get(Invitation, invitation["id"])
        assert (media_root / card.preview_card_key).read_bytes()[:3] == b"\xff\xd8\xff"


def test_a_burst_of_answers_is_one_notice_to_the_owner(
    worker_app, worker, smtp_server, auth_headers, make
):
    app = worker_app(RSVP_NOTICE_SECONDS=2)
    client = app.test_client()
    with app.app_context(), worker(app):
        owner = make.user(email="novios@example.com")
        invitation = published_invitation(client, auth_headers(owner))
        for name in ("Tía Carmen", "Tío Pepe", "Rosa Díaz", "Abuela Lucha", "Primo Juan"):
            assert rsvp(client, invitation["main_code"], guest_name=name).status_code == 201
        assert smtp_server.messages == []  # held back for the window
        wait_for(lambda: smtp_server.messages, what="the notice")
        time.sleep(2.5)  # every answer's own job has run by now: none sends a second mail
        [(_, recipients, notice)] = smtp_server.messages
        assert recipients == ["novios@example.com"]
        assert notice["Subject"].startswith("5 respuestas nuevas")
        assert all(name in notice.get_content() for name in ("Tía Carmen", "Primo Juan"))

        code = guest_link(invitation["id"]).code
        assert rsvp(client, code, guest_name="Familia Pérez").status_code == 201
        wait_for(lambda: len(smtp_server.messages) == 2, what="the second notice")
    assert smtp_server.messages[1][2]["Subject"] == "Nueva respuesta: Familia Pérez"


def test_a_mail_is_retried_until_the_mail_server_is_back(worker_app, worker):
    port = closed_port()
    app = worker_app(MAIL_PORT=port, JOB_RETRY_BACKOFF_SECONDS=1)
    retried = JOBS.labels("send_email", "retried")
    retries_before = retried._value.get()
    with app.app_context(), worker(app):
        queue_sentinel()
        wait_for(lambda: retried._value.get() > retries_before, what="a retry")
        server = ReboundSMTPServer(port)
        try:
            wait_for(lambda: server.messages, timeout=20, what="the retried mail")
        finally:
            server.stop()
    assert [message["Subject"] for *_, message in server.messages] == ["Sentinel"]


class ReboundSMTPServer(SMTPServer):
    """The test SMTP server on a port chosen beforehand (the one the mail server 'was' on)."""

    def __init__(self, port: int):
        self.port_wanted = port
        super().__init__()
        import threading

        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    def server_bind(self):
        self.server_address = ("127.0.0.1", self.port_wanted)
        super().server_bind()

    def stop(self):
        self.shutdown()
        self.server_close()


def test_one_key_is_mailed_once_however_often_its_job_runs(new_app, smtp_server):
    app = new_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_USE_TLS=False)
    send_email = app.extensions["celery"].tasks["send_email"]
    with app.app_context():
        for _ in range(3):
            send_email.apply(("order-paid:7", "ana@example.com", "Pago confirmado", "..."))
    assert subjects(smtp_server) == ["Pago confirmado"]


def test_without_a_broker_jobs_run_inline_after_commit(new_app, smtp_server):
    app = new_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_USE_TLS=False)
    assert app.extensions["celery"].conf.task_always_eager

    @transactional
    def mail_then_check():
        mailer.queue_mail("inline:1", "ana@example.com", "Inline", "-")
        assert smtp_server.messages == []

    with app.app_context():
        mail_then_check()
    assert subjects(smtp_server) == ["Inline"]


def test_metrics_report_the_jobs_waiting_in_the_queue(worker_app, redis_prefix):
    app = worker_app()
    with app.app_context():
        for number in range(3):  # no worker is running: they wait
            transactional(lambda n=number: mailer.queue_mail(f"q:{n}", "a@example.com", "-", "-"))()
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert "jobs_queue_depth 3.0" in text
