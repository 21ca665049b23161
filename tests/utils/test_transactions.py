"""@transactional commits once at the outermost call; after-commit steps follow the commit."""

import time

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import create_app
from extensions import db
from models.plan import Plan
from utils.db import after_commit, in_transaction, restarted_on_deadlock, transactional
from utils.deadlines import current_deadline


def plan_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Plan))


def add_plan(slug: str) -> Plan:
    plan = Plan(name=slug, slug=slug, price=10)
    db.session.add(plan)
    db.session.flush()
    return plan


def test_outermost_call_commits_and_then_runs_after_commit_steps(app_context):
    seen = []

    @transactional
    def create():
        add_plan("uno")
        after_commit(lambda: seen.append(plan_count_in_new_session()))
        assert seen == []

    def plan_count_in_new_session():
        with db.engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(Plan))

    create()
    assert seen == [1]
    assert plan_count() == 1


def test_rollback_drops_rows_and_after_commit_steps(app_context):
    seen = []

    @transactional
    def create_then_fail():
        add_plan("uno")
        after_commit(lambda: seen.append("mail"))
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        create_then_fail()
    assert seen == []
    assert plan_count() == 0


def test_nested_calls_share_one_transaction_and_steps_wait_for_the_outermost(app_context):
    seen = []

    @transactional
    def inner(slug):
        add_plan(slug)
        after_commit(lambda: seen.append(slug))

    @transactional
    def outer():
        inner("uno")
        assert seen == [], "an inner call must not commit nor run the steps"
        inner("dos")
        raise RuntimeError("the outer call fails after both inner calls returned")

    with pytest.raises(RuntimeError):
        outer()
    assert seen == []
    assert plan_count() == 0

    @transactional
    def outer_ok():
        inner("tres")
        inner("cuatro")

    outer_ok()
    assert seen == ["tres", "cuatro"]
    assert plan_count() == 2


def test_a_failing_after_commit_step_is_logged_and_the_commit_stands(app_context, caplog):
    seen = []

    def broken():
        raise OSError("smtp down")

    @transactional
    def create():
        add_plan("uno")
        after_commit(broken)
        after_commit(lambda: seen.append("second step still runs"))

    create()
    assert plan_count() == 1
    assert seen == ["second step still runs"]
    assert "after-commit step failed" in caplog.text


def failures_of(step: str) -> float:
    return REGISTRY.get_sample_value("after_commit_failures_total", {"step": step}) or 0.0


def test_in_a_request_after_commit_steps_share_a_short_deadline_and_cannot_fail_the_answer(
    database_url,
):
    app = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": database_url, "AFTER_COMMIT_DEADLINE_SECONDS": 0.5}
    )
    seen = []

    def remember_deadline():
        seen.append(current_deadline() - time.monotonic())

    def broken_after_commit_step():
        raise OSError("storage hung")

    @transactional
    def save():
        add_plan("uno")
        after_commit(remember_deadline)
        after_commit(broken_after_commit_step)

    @app.post("/save")
    def save_view():
        save()
        return {"saved": True}

    before = failures_of("broken_after_commit_step")

    response = app.test_client().post("/save")

    assert (response.status_code, response.get_json()) == (200, {"saved": True})
    assert failures_of("broken_after_commit_step") == before + 1
    [left] = seen
    assert 0 < left <= 0.5
    assert plan_count() == 1


def test_outside_a_request_after_commit_steps_have_no_shared_deadline(app_context):
    seen = []

    @transactional
    def save():
        add_plan("uno")
        after_commit(lambda: seen.append(current_deadline()))

    save()
    assert seen == [None]


def test_after_commit_outside_a_transaction_is_a_programming_error(app_context):
    assert not in_transaction()
    with pytest.raises(RuntimeError):
        after_commit(lambda: None)


def test_a_taken_unique_value_is_drawn_again_as_often_as_allowed(app_context):
    @transactional
    def add_first_free(slugs):
        add_plan(next(slugs))

    add_first_free(iter(["uno"]))
    drawn = iter(["uno", "dos"])
    restarted_on_deadlock(collisions=1)(add_first_free)(drawn)
    assert plan_count() == 2

    with pytest.raises(IntegrityError):
        restarted_on_deadlock(collisions=1)(add_first_free)(iter(["uno", "dos", "tres"]))
    assert plan_count() == 2
    with pytest.raises(IntegrityError):
        restarted_on_deadlock()(add_first_free)(iter(["uno", "cuatro"]))
    assert plan_count() == 2
