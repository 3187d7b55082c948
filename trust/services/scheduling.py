"""Serializing trust writes per subject, and the coalesced recompute after commit.

Every ledger write (``record_evidence``, voids) takes ``lock_subjects`` for its
transaction and calls ``schedule_recompute``: one ``trust.recompute_subject`` task per
subject is pending at a time (the cache flag ``pending_flag``), enqueued after commit.
"""

import logging
from functools import partial

from django.core.cache import cache
from django.db import connection, transaction

from trust import params

logger = logging.getLogger(__name__)

# Advisory-lock namespace for "one subject's trust" on PostgreSQL.
_LOCK_CLASS = 7031


def lock_subjects(*user_ids: int) -> None:
    """Serialize trust writes per subject for the rest of the transaction.

    PostgreSQL: a transaction-level advisory lock per subject, taken in id order
    so two writers touching the same pair cannot deadlock. SQLite: write
    transactions are already serialized (IMMEDIATE mode), nothing to do.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for user_id in sorted({uid for uid in user_ids if uid is not None}):
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s::int4, %s::int4)", [_LOCK_CLASS, int(user_id) % 2147483647]
            )


def pending_flag(user_id: int) -> str:
    return f"trust:pending:{user_id}"


def _enqueue_recompute(user_id: int) -> None:
    from kombu.exceptions import OperationalError

    from trust.tasks import recompute_subject as recompute_subject_task

    if not cache.add(pending_flag(user_id), 1, timeout=params.PENDING_FLAG_TIMEOUT_SECONDS):
        return  # a recompute is already pending; it will read this event too
    try:
        recompute_subject_task.apply_async((user_id,), countdown=params.RECOMPUTE_COUNTDOWN_SECONDS)
    except OperationalError:
        # The broker is down: the event is durable, the nightly recompute catches up.
        cache.delete(pending_flag(user_id))
        logger.exception("could not enqueue the trust recompute of user %s", user_id)


def schedule_recompute(user_id: int) -> None:
    """After commit, make sure one recompute of ``user_id`` is pending (coalesced)."""
    transaction.on_commit(partial(_enqueue_recompute, user_id))
