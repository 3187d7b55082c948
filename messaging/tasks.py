"""Celery tasks of messaging, for autodiscovery: each part keeps its own tasks
(``messaging.chat.tasks``, ``messaging.notifications.tasks``, ``messaging.routing.tasks``);
the task names (``messaging.<task>``) stay the same."""

from messaging.chat import tasks as chat_tasks  # noqa: F401
from messaging.notifications import tasks as notification_tasks  # noqa: F401
from messaging.routing import tasks as routing_tasks  # noqa: F401
