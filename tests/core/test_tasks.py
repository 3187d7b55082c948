"""core.tasks: the house options every Tandem task is declared with."""

from django.db import OperationalError

from core.tasks import idempotent_task, run_each, sweep_task


def test_an_idempotent_task_is_acked_late_retried_with_backoff_and_keeps_no_result():
    @idempotent_task(name="tests.core.idempotent", time_limit=60, soft_time_limit=50)
    def task(item_id):
        return item_id

    assert task.name == "tests.core.idempotent"
    assert (task.time_limit, task.soft_time_limit) == (60, 50)
    assert task.acks_late and task.ignore_result and task.retry_backoff
    assert task.autoretry_for == (Exception,) and task.max_retries == 3


def test_an_idempotent_task_takes_its_own_retry_bounds():
    @idempotent_task(
        name="tests.core.bounded",
        time_limit=120,
        retry_on=(OperationalError,),
        max_retries=5,
        retry_backoff_max=600,
    )
    def task():
        return None

    assert task.autoretry_for == (OperationalError,)
    assert (task.max_retries, task.retry_backoff_max) == (5, 600)


def test_a_sweep_task_is_not_retried_and_keeps_no_result():
    @sweep_task(name="tests.core.sweep", time_limit=300)
    def task():
        return 0

    assert task.name == "tests.core.sweep" and task.time_limit == 300
    assert task.ignore_result and not getattr(task, "autoretry_for", ())


def test_run_each_logs_a_failing_item_and_runs_the_rest(caplog):
    import logging

    def step(item_id):
        if item_id == 2:
            raise RuntimeError("boom")
        return item_id * 10

    results = run_each([1, 2, 3], step, logger=logging.getLogger("tests.core"), failure="could not do %s")

    assert results == [10, 30]
    assert [record.getMessage() for record in caplog.records] == ["could not do 2"]
