"""Run code from several threads at once, for races on PostgreSQL (each thread has
its own database connection, closed when it ends)."""

import threading

from django.db import connection


def run_together(count: int, target, *, timeout: float = 60) -> None:
    """Call ``target(index)`` for index 0..count-1 in threads released together by a
    barrier; re-raise nothing but fail with every error any thread hit."""
    barrier = threading.Barrier(count)
    errors = []

    def run(index):
        try:
            barrier.wait()
            target(index)
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not errors, errors
