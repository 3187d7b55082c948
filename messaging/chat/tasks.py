"""Celery tasks of the chat (registered through ``messaging.tasks``, which Celery
autodiscovers). Thin adapters: take ids, call one idempotent service."""

import logging

from core.tasks import idempotent_task, run_each, sweep_task
from messaging.chat import activity, selectors, services

logger = logging.getLogger("messaging.chat.tasks")


@idempotent_task(name="messaging.sync_engagement_conversation", time_limit=60, max_retries=5)
def sync_engagement_conversation(engagement_id: int) -> None:
    """Bring one engagement's conversation members in line with its participants.
    Idempotent; a missing engagement or conversation is done."""
    services.conversation_sync_members(engagement_id=engagement_id)


@sweep_task(name="messaging.sync_conversation_members", time_limit=300)
def sync_conversation_members() -> int:
    """Beat safety net: fix every engagement conversation whose members drifted
    from the participants (a join or leave whose signal did not reach the chat).
    Each engagement in its own transaction; returns how many were fixed."""
    fixed = run_each(
        selectors.engagements_with_stale_members(),
        lambda pk: services.conversation_sync_members(engagement_id=pk),
        logger=logger,
        failure="could not sync conversation members of engagement %s",
    )
    return len(fixed)


@sweep_task(name="messaging.activity_repair", time_limit=1800, soft_time_limit=1700)
def activity_repair() -> dict:
    """Beat, nightly: recount the dashboard's message-activity rollup of the last days
    and the first replies of the chats written in since, from the messages. Idempotent
    (a recount replaces what it covers), so a retry or a second run changes nothing."""
    return activity.activity_repair()
