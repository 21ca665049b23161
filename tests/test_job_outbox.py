"""The job outbox: a job is a row written in its service's transaction, handed to the broker
after commit within about a second, or relayed later; a frozen or dead broker costs a request
no more than that, and loses no job (docs/operations.md, "Background jobs")."""

import socket
import time

import pytest
from celery.exceptions import Retry
from sqlalchemy import select

from extensions import db
from models.job_outbox import OutboxJob
from services import mailer
from tests.api.test_claims import CLAIM
from tests.guest_fixtures import published_invitation, rsvp
from tests.job_fixtures import wait_for
from utils.db import transactional
from utils.jobs import enqueue, keep_for_relay, relay_jobs
from utils.metrics import JOBS
from utils.time import utcnow

pytestmark = pytest.mark.slow

# A request waits on the broker under a second; the margin is for a busy test machine.
PROMPT_SECONDS = 1.5


class RolledBack(Exception):
    pass


def timed(call):
    start = time.monotonic()
    result = call()
    return result, time.monotonic() - start


def outbox() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(OutboxJob.name).order_by(OutboxJob.id)))


def subjects(smtp_server) -> list[str]:
    return sorted(message["Subject"] for *_, message in smtp_server.messages)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def counted(job: str, outcome: str) -> float:
    return JOBS.labels(job, outcome)._value.get()


def mail(key: str, subject: str = "Hola") -> None:
    transactional(lambda: mailer.queue_mail(key, "ana@example.com", subject, "-"))()


def file_claim(client) -> str:
    response = client.post("/api/claims", json=CLAIM)
    assert response.status_code == 201, response.get_json()
    return f"Libro de Reclamaciones: reclamo {response.get_json()['code']}"


def test_answers_and_claims_are_prompt_while_the_broker_is_frozen_and_mailed_once_it_is_back(
    own_redis, worker_app, worker, smtp_server, auth_headers, make
):
    # No pause after a failure: every request below asks the frozen broker and gives up.
    app = worker_app(
        CELERY_BROKER_URL=own_redis.url, RSVP_NOTICE_SECONDS=1, JOB_BROKER_PAUSE_SECONDS=0
    )
    client = app.test_client()
    with app.app_context(), worker(app):
        owner = make.user(email="novios@example.com")
        invitation = published_invitation(client, auth_headers(owner))
        first_copy = file_claim(client)  # the first claim of a process also warms it up
        wait_for(lambda: len(smtp_server.messages) == 1, what="the first claim's copy")

        own_redis.freeze()
        try:
            claim, claim_seconds = timed(lambda: file_claim(client))
            answers = [
                timed(lambda n=n: rsvp(client, invitation["main_code"], guest_name=f"Tía {n}"))
                for n in ("Carmen", "Rosa", "Lucha")
            ]
        finally:
            own_redis.thaw()

        assert [response.status_code for response, _ in answers] == [201] * 3
        assert max(claim_seconds, *(seconds for _, seconds in answers)) < PROMPT_SECONDS
        # Committed with their answers, waiting for the relay.
        assert sorted(outbox()) == ["send_email"] + ["send_rsvp_notice"] * 3

        assert relay_jobs() == 4
        wait_for(lambda: len(smtp_server.messages) == 3, what="the notice and the claim copy")
        assert relay_jobs() == 0
        time.sleep(2.5)  # every answer's notice job has run by now: none mails again

    notice, *copies = subjects(smtp_server)
    assert notice.startswith("3 respuestas nuevas")
    assert copies == sorted([first_copy, claim])
    assert outbox() == []


def test_after_a_broker_failure_a_process_leaves_jobs_to_the_relay_without_asking_again(
    own_redis, worker_app, caplog
):
    app = worker_app(CELERY_BROKER_URL=own_redis.url)
    deferred = counted("send_email", "deferred")
    with app.app_context():
        mail("warm:1")  # the connection is open when the broker freezes
        own_redis.freeze()
        try:
            _, seconds = timed(lambda: mail("frozen:1"))
            for number in range(2, 12):
                mail(f"frozen:{number}")
        finally:
            own_redis.thaw()
        assert outbox() == ["send_email"] * 11
        assert counted("send_email", "deferred") == deferred + 11
        assert seconds < PROMPT_SECONDS
        # The broker was asked for the first job only.
        failures = [r for r in caplog.records if "the broker failed" in r.getMessage()]
        assert len(failures) == 1

        # A relay run that hands everything over shows the broker is back: the pause ends.
        assert relay_jobs() == 11
        mail("back:1")
    assert outbox() == []


def test_a_job_committed_while_the_broker_is_down_is_kept_and_relayed_once(
    worker_app, worker, smtp_server
):
    down = worker_app(CELERY_BROKER_URL=f"redis://127.0.0.1:{closed_port()}/0")
    with down.app_context():
        _, seconds = timed(lambda: mail("order-paid:9", "Pago confirmado"))
        assert seconds < PROMPT_SECONDS
        assert outbox() == ["send_email"]
    assert smtp_server.messages == []

    # Another process, with the broker up, relays it (beat's `relay_jobs`, or cron's
    # `flask jobs relay`); a second run finds nothing, so it is mailed once.
    app = worker_app()
    with app.app_context(), worker(app):
        assert relay_jobs() == 1
        assert relay_jobs() == 0
        wait_for(lambda: smtp_server.messages, what="the relayed mail")
        mail("sentinel", "Sentinel")  # served after the relayed job: by then any double ran
        wait_for(lambda: len(smtp_server.messages) == 2, what="the sentinel")
    assert subjects(smtp_server) == ["Pago confirmado", "Sentinel"]
    assert outbox() == []


def test_a_relayed_job_still_waits_out_the_rest_of_its_countdown(worker_app, worker, smtp_server):
    down = worker_app(CELERY_BROKER_URL=f"redis://127.0.0.1:{closed_port()}/0")
    with down.app_context():
        queued_at = time.monotonic()
        transactional(
            lambda: enqueue("send_email", "later:1", "ana@example.com", "Luego", "-", countdown=3)
        )()

    app = worker_app()
    with app.app_context(), worker(app):
        assert relay_jobs() == 1
        time.sleep(max(0.0, queued_at + 2 - time.monotonic()))
        assert smtp_server.messages == []  # due 3 s after it was queued, not when relayed
        wait_for(lambda: smtp_server.messages, what="the mail, once due")
    assert time.monotonic() - queued_at >= 3


def test_a_retry_the_broker_cannot_take_waits_in_the_outbox_instead_of_being_dropped(worker_app):
    app = worker_app(
        CELERY_BROKER_URL=f"redis://127.0.0.1:{closed_port()}/0",
        MAIL_PORT=closed_port(),
        JOB_RETRY_BACKOFF_SECONDS=60,
    )
    send_email = app.extensions["celery"].tasks["send_email"]
    args = ["retry:1", "ana@example.com", "Reintento", "-"]
    # As a worker runs it: the mail server is down, so the job asks for a retry.
    send_email.push_request(id="job-1", args=args, kwargs={}, retries=0, called_directly=False)
    try:
        with pytest.raises(Retry):
            send_email(*args)
    finally:
        send_email.pop_request()

    with app.app_context():
        db.session.rollback()
        [kept] = db.session.scalars(select(OutboxJob)).all()
        assert (kept.name, kept.args) == ("send_email", args)
        assert 40 < (kept.due_at - utcnow()).total_seconds() <= 60  # the retry's delay


@pytest.mark.parametrize("with_broker", [False, True], ids=["inline", "broker"])
def test_a_rolled_back_transaction_leaves_no_job_in_the_outbox(
    with_broker, worker_app, new_app, smtp_server
):
    app = worker_app() if with_broker else new_app()

    @transactional
    def mail_then_fail():
        mailer.queue_mail("rolled-back:1", "ana@example.com", "Nunca", "-")
        assert db.session.scalar(select(OutboxJob.name)) == "send_email"
        raise RolledBack

    with app.app_context():
        with pytest.raises(RolledBack):
            mail_then_fail()
        assert outbox() == []
    assert smtp_server.messages == []


def test_without_a_broker_a_job_runs_inline_after_commit_and_leaves_no_row(new_app, smtp_server):
    app = new_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_USE_TLS=False)
    with app.app_context():
        mail("inline:9", "Inline")
        assert outbox() == []
    assert subjects(smtp_server) == ["Inline"]


def test_metrics_report_the_jobs_waiting_in_the_outbox(worker_app):
    app = worker_app(CELERY_BROKER_URL=f"redis://127.0.0.1:{closed_port()}/0")
    with app.app_context():
        for number in range(3):
            mail(f"waiting:{number}")
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert "jobs_outbox_backlog 3.0" in text
    assert 'jobs_total{job="send_email",outcome="deferred"}' in text


def test_metrics_answer_promptly_while_the_broker_is_frozen(own_redis, worker_app):
    app = worker_app(CELERY_BROKER_URL=own_redis.url)
    client = app.test_client()
    assert "jobs_queue_depth 0.0" in client.get("/metrics").get_data(as_text=True)
    own_redis.freeze()
    try:
        metrics, seconds = timed(lambda: client.get("/metrics"))
    finally:
        own_redis.thaw()
    assert metrics.status_code == 200 and seconds < PROMPT_SECONDS
    text = metrics.get_data(as_text=True)
    assert "\njobs_queue_depth " not in text  # unknown, not made up
    assert "jobs_outbox_backlog 0.0" in text


def test_cron_relays_what_the_outbox_holds_with_flask_jobs_relay(new_app, smtp_server):
    # Without a broker the relay runs the job itself, as `make run` runs every job.
    app = new_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_USE_TLS=False)
    with app.app_context():
        keep_for_relay("send_email", ["left:1", "ana@example.com", "Pendiente", "-"], 0)
        result = app.test_cli_runner().invoke(args=["jobs", "relay"])
        assert result.exit_code == 0 and result.output.endswith("Relayed 1 job.\n")
        assert outbox() == []
    assert subjects(smtp_server) == ["Pendiente"]
