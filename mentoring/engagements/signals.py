"""What the engagement domain tells the apps built on it (true decoupling: the
engagement services do not know who listens).

Both are sent synchronously inside the service's transaction, so a listener's
writes commit or roll back with the change. Listeners connect in their
``AppConfig.ready()``; the chat (``messaging.chat.receivers``) is one.

- ``engagement_started(engagement)``: a new engagement exists (its participants too).
- ``engagement_members_changed(engagement_id)``: someone joined or left.
"""

from django.dispatch import Signal

engagement_started = Signal()
engagement_members_changed = Signal()
